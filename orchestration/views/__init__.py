"""Views of an execution: its state machine drawn and coloured, and the HTML report.

They read only what an execution leaves (its definition, history, record, manifests and verdicts,
or an AWS GetExecutionHistory, which has the same event shapes) and never run Spark.
"""
