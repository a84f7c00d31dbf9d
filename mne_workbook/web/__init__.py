"""The web desk (``mne-workbook serve``): ONATC's status board, uploads and upload links.

Starlette + Jinja2 + a little htmx served from the package; every page is rendered by
the server from the library's results (see :mod:`.app`).
"""
