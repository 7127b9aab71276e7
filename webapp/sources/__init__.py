"""Where teammate profiles come from: the `DirectorySource` protocol (`base`) and one package per source."""
