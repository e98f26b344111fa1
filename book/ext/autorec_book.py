"""Sphinx tweaks for the AutoRec book (a local extension, see _config.yml).

Jupyter Book always loads sphinx-thebe, which adds its configuration script
twice to every page (a console error: "Identifier 'THEBE_JS_URL' has already
been declared") and names a CDN copy of thebe. The book runs no live code, so
its pages carry no thebe script or style sheet at all.
"""


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is not None:
        context["script_files"] = [
            js for js in scripts
            if "thebe" not in (getattr(js, "filename", None) or str(js))
            and "THEBE_JS_URL" not in getattr(js, "attributes", {}).get("body", "")]
    styles = context.get("css_files")
    if styles is not None:
        context["css_files"] = [
            css for css in styles if "thebe" not in (getattr(css, "filename", None) or str(css))]


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
