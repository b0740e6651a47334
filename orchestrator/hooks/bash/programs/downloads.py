"""Downloaders: curl and wget write what they fetch."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler

_CURL_SHORT = "AbcCdDeEFHKmoPQrtTuUwxXyYz"
_CURL_LONG = frozenset(
    "output dump-header cookie-jar trace trace-ascii stderr etag-save etag-compare hsts alt-svc "
    "output-dir libcurl config data data-raw data-binary data-urlencode data-ascii header "
    "user-agent request user url form form-string referer cookie max-time connect-timeout retry "
    "retry-delay retry-max-time proxy upload-file write-out range cert key cacert capath resolve "
    "connect-to interface json variable netrc-file unix-socket continue-at proxy-user".split()
)
_CURL_WRITES = frozenset(
    "o output D dump-header c cookie-jar trace trace-ascii stderr etag-save hsts alt-svc libcurl".split()
)


def _curl(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """curl: `-o FILE`, `-O` (the URL's file name), `--dump-header FILE`, `--cookie-jar FILE`…"""
    opts, urls = getopt(args, _CURL_SHORT, _CURL_LONG)
    saved = an.enter(values(opts, "output-dir"))
    for name, value in opts:
        if name in _CURL_WRITES and value is not None and value[0] != "-":
            an.write(value, "curl")
    if has(opts, "O", "remote-name", "remote-name-all"):
        if has(opts, "J", "remote-header-name"):
            an.whole_tree("curl", repo=False)
        for text, dyn in urls + values(opts, "url"):
            an.write((_url_name(text), dyn), "curl")
    an.cwds = saved


def _url_name(url: str) -> str:
    path = url.partition("://")[2] or url
    path = path.partition("?")[0].partition("#")[0]
    return path.partition("/")[2].rpartition("/")[2]


_WGET_LONG = frozenset(
    "output-document output-file append-output directory-prefix execute user-agent tries "
    "timeout wait accept reject input-file base domains level quota header user "
    "password".split()
)


def _wget(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """wget: `-O FILE`, `-o LOG`, otherwise the URL's file name (in `-P DIR`)."""
    opts, urls = getopt(args, "OoaPeUtTwARiBDlQIX", _WGET_LONG)
    if has(opts, "spider"):
        return
    for value in values(opts, "o", "output-file", "a", "append-output"):
        an.write(value, "wget")
    if values(opts, "e", "execute"):
        an.opaque["wget"] = None
    documents = [arg for arg in values(opts, "O", "output-document") if arg[0] != "-"]
    for arg in documents:
        an.write(arg, "wget")
    if documents or values(opts, "O", "output-document"):
        return
    saved = an.enter(values(opts, "P", "directory-prefix")[-1:])
    if has(opts, "r", "recursive", "m", "mirror", "p", "page-requisites"):
        an.whole_tree("wget", repo=False)
    else:
        for text, dyn in urls:
            an.write((_url_name(text) or "index.html", dyn), "wget")
    an.cwds = saved


RULES: dict[str, Handler] = {
    "curl": _curl,
    "wget": _wget,
}
