"""Local Sphinx fixes for the book's theme stack (jupyter-book 1.0.4).

sphinx-thebe 0.3.1 registers its inline configuration script once per build pass, and jupyter-book
runs two, so every page declared ``const THEBE_JS_URL`` twice and the browser logged a
SyntaxError. Drop repeated scripts from each page's context.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {})
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    # run first: html-page-context stops at the first handler that returns a template name
    app.connect("html-page-context", _drop_repeated_scripts, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
