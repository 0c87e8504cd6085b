"""Reading and writing logs and labeled data sets in every supported format."""
