"""Ad review: deciding which ads are political and need the political-ad rules."""
