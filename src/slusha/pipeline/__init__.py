"""The pipeline: normalise -> dedupe -> match -> enrich -> route -> save -> publish."""
