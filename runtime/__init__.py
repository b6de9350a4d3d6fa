"""The scoring runtime: values, results, the Model object, readers and writers.

It imports neither the front end nor the compilers."""
