"""The Telegram front end: renders the core service's answers in chats (python-telegram-bot)."""
