"""Each domain's facts, one module per domain: its sources, schemas, tables, suites and marts.

Jobs, pipeline declarations, benchmarks and tests import these modules; jobs never import
each other. A domain module imports no pyspark when it is imported, so a declaration that reads
its sources (``orchestration/pipelines.py``) stays free of Spark: schemas are DDL text, built
into Spark ``StructType``s only when a job or a test asks for one.
"""
