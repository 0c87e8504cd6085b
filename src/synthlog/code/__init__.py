"""Source-code analysis: logging statements, log-oriented control-flow graphs, call graph, paths."""
