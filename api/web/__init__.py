"""What the HTML surface shares: pages and their templates, CSRF, languages, cookies, forms."""
