"""Code the platform deploys as functions (not Pulumi programs): each hook is stdlib-only and packaged as is."""
