"""Notifiers: e-mail, Slack, Mattermost, Microsoft Teams and signed webhooks.

Each public module holds one ``Notifier`` subclass that the plugin registry finds by scanning
this package; ``delivery.deliver`` wraps any of them with retries and a recorded result, and
``channels.parse_channel`` reads the ``KIND:TARGET`` form of the CLI's ``--channel``.
"""
