"""Write the small backtest samples in examples/data/ (see SOURCE.md there).

  bank-marketing-sample.csv   500 real rows of the UCI Bank Marketing data
                              (bank-additional-full.csv, CC BY 4.0): every
                              82nd-or-so row, rows floor(i * 41188 / 500) for
                              i = 0..499, byte for byte with the header, so
                              the sample spans the whole May 2008 - Nov 2010
                              period. Needs the full file (default
                              ../shared/data/uci-bank-marketing/ beside the
                              repository) and checks its sha256 first.
  x-education-sample.csv      500 made-up leads with the 37 columns of the
                              X Education Leads.csv. That dataset has no
                              licence, so none of its rows is copied here:
                              the values are drawn from hand-set frequencies
                              close to those its SOURCE.md reports (Select
                              placeholders, empty cells, `google` next to
                              `Google`, ...), and `Converted` from a made-up
                              logistic model of the pre-contact columns. `Tags`
                              and `Lead Quality` are drawn after the outcome,
                              since in the real data staff fill them in after
                              contact. Needs nothing.

Standard library only, and deterministic: running it twice writes the same bytes.

    python examples/data/make_samples.py [--shared PATH/TO/shared/data]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import random
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parents[2] / "shared" / "data"
SAMPLE_SIZE = 500

BANK_FILE = "uci-bank-marketing/bank-additional-full.csv"
BANK_SHA256 = "74adfc578bf77a7ff4bb1ba4a9f8709d9e3c6907342959c2c8416847e0afb4d8"


# ---- bank marketing: a systematic sample of the real rows --------------------------

def bank_sample(shared: Path) -> bytes:
    source = shared / BANK_FILE
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != BANK_SHA256:
        raise SystemExit(f"{source}: sha256 {digest}, expected {BANK_SHA256} (not the UCI release)")
    lines = data.splitlines(keepends=True)      # one record per line: no field holds a newline
    header, rows = lines[0], lines[1:]
    picked = [rows[i * len(rows) // SAMPLE_SIZE] for i in range(SAMPLE_SIZE)]
    return header + b"".join(picked)


# ---- X Education: made-up leads with the real file's columns -----------------------

X_COLUMNS = [
    "Prospect ID", "Lead Number", "Lead Origin", "Lead Source", "Do Not Email", "Do Not Call", "Converted",
    "TotalVisits", "Total Time Spent on Website", "Page Views Per Visit", "Last Activity", "Country",
    "Specialization", "How did you hear about X Education", "What is your current occupation",
    "What matters most to you in choosing a course", "Search", "Magazine", "Newspaper Article",
    "X Education Forums", "Newspaper", "Digital Advertisement", "Through Recommendations",
    "Receive More Updates About Our Courses", "Tags", "Lead Quality", "Update me on Supply Chain Content",
    "Get updates on DM Content", "Lead Profile", "City", "Asymmetrique Activity Index",
    "Asymmetrique Profile Index", "Asymmetrique Activity Score", "Asymmetrique Profile Score",
    "I agree to pay the amount through cheque", "A free copy of Mastering The Interview",
    "Last Notable Activity",
]

ORIGIN = {"Landing Page Submission": 53, "API": 39, "Lead Add Form": 7.5, "Lead Import": 0.5}
SOURCE_BY_ORIGIN = {
    "Landing Page Submission": {"Google": 38, "Direct Traffic": 42, "Organic Search": 14, "Referral Sites": 2,
                                "Olark Chat": 2, "google": 0.5, "": 0.5, "bing": 0.3, "Click2call": 0.2},
    "API": {"Olark Chat": 45, "Google": 27, "Organic Search": 14, "Direct Traffic": 10, "Referral Sites": 3,
            "": 0.6, "google": 0.4},
    "Lead Add Form": {"Reference": 70, "Welingak Website": 20, "Google": 4, "Direct Traffic": 3, "": 3},
    "Lead Import": {"Facebook": 95, "Google": 5},
}
LAST_ACTIVITY = {"Email Opened": 37, "SMS Sent": 30, "Olark Chat Conversation": 10.5,
                 "Page Visited on Website": 7, "Converted to Lead": 4.6, "Email Bounced": 3.5,
                 "Email Link Clicked": 2.9, "Form Submitted on Website": 1.3, "": 1.1, "Unreachable": 1,
                 "Unsubscribed": 0.7, "Had a Phone Conversation": 0.3}
NOTABLE = {"Email Opened", "SMS Sent", "Page Visited on Website", "Olark Chat Conversation",
           "Email Link Clicked", "Email Bounced", "Unsubscribed", "Unreachable", "Had a Phone Conversation"}
COUNTRY = {"India": 70, "": 27, "United States": 0.8, "United Arab Emirates": 0.6, "Singapore": 0.3,
           "Saudi Arabia": 0.2, "United Kingdom": 0.2, "unknown": 0.1}
SPECIALIZATION = {"Select": 21, "": 15.5, "Finance Management": 10.5, "Human Resource Management": 9.2,
                  "Marketing Management": 9.1, "Operations Management": 5.4, "Business Administration": 4.4,
                  "IT Projects Management": 4, "Supply Chain Management": 3.8,
                  "Banking, Investment And Insurance": 3.7, "Media and Advertising": 2.2,
                  "Travel and Tourism": 2.2, "International Business": 1.9, "Healthcare Management": 1.7,
                  "E-COMMERCE": 1.2, "Hospitality Management": 1.2, "Retail Management": 1.1,
                  "Rural and Agribusiness": 0.8, "E-Business": 0.6, "Services Excellence": 0.4}
HEARD = {"Select": 54.6, "": 23.9, "Online Search": 8.7, "Word Of Mouth": 3.8, "Student of SomeSchool": 3.4,
         "Other": 2, "Multiple Sources": 1.6, "Advertisements": 0.8, "Social Media": 0.7, "Email": 0.3, "SMS": 0.2}
OCCUPATION = {"Unemployed": 60.6, "": 29.1, "Working Professional": 7.6, "Student": 2.3, "Other": 0.2,
              "Housewife": 0.1, "Businessman": 0.1}
CITY = {"Mumbai": 34.9, "Select": 24.3, "": 15.4, "Thane & Outskirts": 8.1, "Other Cities": 7.4,
        "Other Cities of Maharashtra": 4.9, "Other Metro Cities": 4.1, "Tier II Cities": 0.8}
TAGS_CONVERTED = {"Will revert after reading the email": 55, "": 20, "Closed by Horizzon": 10,
                  "Lost to EINS": 5, "Busy": 3, "Ringing": 1, "Want to take admission but has financial problems": 1,
                  "switched off": 0.5, "Interested in Next batch": 0.5}
TAGS_OTHER = {"": 40, "Ringing": 21, "Interested in other courses": 9, "Already a student": 8,
              "switched off": 4.2, "Not doing further education": 2.5, "Interested  in full time MBA": 2,
              "Graduation in progress": 2, "Busy": 1.4, "invalid number": 1.4, "wrong number given": 0.8,
              "Will revert after reading the email": 1, "Diploma holder (Not Eligible)": 1}
QUALITY_CONVERTED = {"": 28, "Might be": 33, "High in Relevance": 17, "Low in Relevance": 13, "Not Sure": 7,
                     "Worst": 0.3}
QUALITY_OTHER = {"": 66, "Not Sure": 14.5, "Worst": 10.3, "Might be": 6.6, "Low in Relevance": 1.8,
                 "High in Relevance": 0.6}
PROFILE_CONVERTED = {"Select": 40, "": 10, "Potential Lead": 35, "Other Leads": 5, "Lateral Student": 1,
                     "Dual Specialization Student": 1}
PROFILE_OTHER = {"Select": 46, "": 37, "Potential Lead": 6, "Other Leads": 5, "Student of SomeSchool": 4}


def pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def yes(rng: random.Random, share: float) -> str:
    return "Yes" if rng.random() < share else "No"


def x_education_lead(rng: random.Random, number: int) -> dict:
    origin = pick(rng, ORIGIN)
    source = pick(rng, SOURCE_BY_ORIGIN[origin])
    on_site = origin in ("Landing Page Submission", "API")
    if not on_site:
        visits, seconds, pages = "0", 0, "0"
    elif rng.random() < 0.015:
        visits, seconds, pages = "", int(rng.expovariate(1 / 300)), ""
    else:
        n = 0 if rng.random() < 0.2 else min(40, 1 + int(rng.expovariate(1 / 3)))
        seconds = 0 if n == 0 else min(2272, int(rng.lognormvariate(math.log(420), 0.9)))
        per = 0 if n == 0 else max(1.0, min(12.0, rng.gauss(2.6, 1.2)))
        visits = str(n)
        pages = "0" if n == 0 else (str(int(per)) if rng.random() < 0.8 else f"{per:.2f}".rstrip("0").rstrip("."))
    activity = pick(rng, LAST_ACTIVITY)
    notable = activity if activity in NOTABLE and rng.random() < 0.65 else "Modified"
    occupation = pick(rng, OCCUPATION)
    do_not_email = yes(rng, 0.08)
    ebook = yes(rng, 0.31 if on_site else 0.02)

    # the made-up truth: how likely this enquiry is to enrol, from what is known before contact
    logit = -1.45
    logit += {"Lead Add Form": 2.6, "Lead Import": -0.4}.get(origin, 0)
    logit += {"Reference": 0.8, "Welingak Website": 1.8, "Olark Chat": -0.5, "Google": 0.15}.get(source, 0)
    logit += {"Working Professional": 2.6, "": -1.3, "Housewife": 1.5, "Student": -0.2}.get(occupation, 0)
    logit += min(seconds, 1500) / 600
    logit += {"SMS Sent": 1.2, "Olark Chat Conversation": -1.5, "Email Bounced": -1.4,
              "Converted to Lead": -1.0, "Had a Phone Conversation": 1.5, "Page Visited on Website": -0.5,
              "Unsubscribed": -0.5}.get(activity, 0)
    logit += -0.8 if do_not_email == "Yes" else 0
    converted = rng.random() < 1 / (1 + math.exp(-logit))

    asym = rng.random() >= 0.46
    activity_index = pick(rng, {"02.Medium": 75, "01.High": 18, "03.Low": 7}) if asym else ""
    profile_index = pick(rng, {"02.Medium": 55, "01.High": 44, "03.Low": 1}) if asym else ""
    activity_score = {"01.High": rng.randint(16, 18), "02.Medium": rng.randint(13, 15),
                      "03.Low": rng.randint(7, 12)}.get(activity_index, "")
    profile_score = {"01.High": rng.randint(18, 20), "02.Medium": rng.randint(15, 17),
                     "03.Low": rng.randint(11, 14)}.get(profile_index, "")
    filled = occupation != ""
    return {
        "Prospect ID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "Lead Number": str(number),
        "Lead Origin": origin,
        "Lead Source": source,
        "Do Not Email": do_not_email,
        "Do Not Call": "No",
        "Converted": "1" if converted else "0",
        "TotalVisits": visits,
        "Total Time Spent on Website": str(seconds),
        "Page Views Per Visit": pages,
        "Last Activity": activity,
        "Country": pick(rng, COUNTRY),
        "Specialization": pick(rng, SPECIALIZATION),
        "How did you hear about X Education": pick(rng, HEARD),
        "What is your current occupation": occupation,
        "What matters most to you in choosing a course": "Better Career Prospects" if filled else "",
        "Search": yes(rng, 0.002), "Magazine": "No", "Newspaper Article": "No", "X Education Forums": "No",
        "Newspaper": "No", "Digital Advertisement": yes(rng, 0.001), "Through Recommendations": yes(rng, 0.001),
        "Receive More Updates About Our Courses": "No",
        "Tags": pick(rng, TAGS_CONVERTED if converted else TAGS_OTHER),
        "Lead Quality": pick(rng, QUALITY_CONVERTED if converted else QUALITY_OTHER),
        "Update me on Supply Chain Content": "No", "Get updates on DM Content": "No",
        "Lead Profile": pick(rng, PROFILE_CONVERTED if converted else PROFILE_OTHER) if filled else "",
        "City": pick(rng, CITY),
        "Asymmetrique Activity Index": activity_index, "Asymmetrique Profile Index": profile_index,
        "Asymmetrique Activity Score": str(activity_score), "Asymmetrique Profile Score": str(profile_score),
        "I agree to pay the amount through cheque": "No",
        "A free copy of Mastering The Interview": ebook,
        "Last Notable Activity": notable,
    }


def x_education_sample() -> bytes:
    rng = random.Random(20261201)
    numbers = rng.sample(range(579533, 660738), SAMPLE_SIZE)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=X_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number in numbers:
        writer.writerow(x_education_lead(rng, number))
    return out.getvalue().encode("ascii")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"the shared data folder (default: {DEFAULT_SHARED})")
    args = parser.parse_args(argv)
    (HERE / "x-education-sample.csv").write_bytes(x_education_sample())
    print(f"wrote {HERE / 'x-education-sample.csv'}")
    if (args.shared / BANK_FILE).exists():
        (HERE / "bank-marketing-sample.csv").write_bytes(bank_sample(args.shared))
        print(f"wrote {HERE / 'bank-marketing-sample.csv'}")
    else:
        print(f"{args.shared / BANK_FILE} not found: bank-marketing-sample.csv left as it is", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
