"""The commented config that ``payalert init`` writes."""

CONFIG_TEMPLATE = """\
# payalert configuration. Reference: docs/configuration.md
# ${VAR} and ${VAR:-default} are read from the environment and from .env beside this file.
# Check it with `payalert check-config`; run with `payalert run`.

data_dir: ./data          # the SQLite store (events, deliveries, cursors)
log_level: INFO

server:
  host: 127.0.0.1         # 0.0.0.0 to accept webhooks from other machines (put TLS in front)
  port: 8080
  max_body_bytes: 1048576

delivery:
  retry_initial: 2s
  retry_max: 5m
  # give_up_after: 2d     # default: retry until it succeeds or fails permanently

# A page for people at /status/ (docs/status-page.md): run `payalert status-page set-password` first.
# status_page:
#   enabled: true
#   password_hash: ${PAYALERT_STATUS_PAGE_PASSWORD_HASH}
#   timezone: Asia/Kolkata

sources:
  # Any script can post signed JSON payments here: POST /hooks/my-shop/
  my-shop:
    type: webhook
    secret: ${PAYALERT_WEBHOOK_SECRET}

  # GitHub Sponsors (pip install payalert-github): POST /hooks/sponsors/
  # sponsors:
  #   type: github
  #   secret: ${PAYALERT_WEBHOOK_SECRET}

  # Binance deposits, P2P and Pay (pip install payalert-binance)
  # binance:
  #   type: binance
  #   api_key: ${BINANCE_API_KEY}
  #   api_secret: ${BINANCE_API_SECRET}
  #   interval: 1m

  # Bank and UPI alert emails (pip install payalert-imap)
  # bank:
  #   type: imap
  #   host: imap.gmail.com
  #   username: you@gmail.com
  #   password: ${IMAP_PASSWORD}
  #   accounts: ["4477"]   # last 4 digits of your accounts and cards: alerts for any other are not payments

notifiers:
  console:
    type: console
    timezone: UTC

  # Telegram, with a bot token from @BotFather and your chat id (docs/telegram.md shows how to find it)
  # telegram:
  #   type: telegram
  #   token: ${TELEGRAM_BOT_TOKEN}
  #   destinations: [123456789]
  #   timezone: Asia/Kolkata
"""
