"""One module per part of the archive; each lists its steps in the order they must run."""
