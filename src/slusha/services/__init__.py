"""Use cases shared by the web app, the CLI and the pipeline. They own their transactions."""
