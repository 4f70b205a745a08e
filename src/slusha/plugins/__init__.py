"""The extension API: connector and notifier base classes, the registry, the outbound client."""
