"""The demo: an example organisation and a corpus the project generates itself."""
