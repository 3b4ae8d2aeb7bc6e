"""How tool responses read: every fixed text the ``search`` and ``visit`` tools (and the toolset) write.

A trained model depends on the exact layout of what its tools said during training, so the layout is a
choice of the agent profile (:mod:`openseeker.agent.profiles`), not a constant:

* :data:`OPENSEEKER` is the toolkit's own wording (the default);
* :data:`OPENSEEKER_V1` reproduces, byte for byte, the layout the released OpenSeeker-v1 models saw
  (METHOD.md section 6): the ``### A Google search for '{query}' found {n} results:`` header, the entry
  layout, the visit output, and the official error texts. These short texts are format facts a trained
  model depends on, not prose.

Every field is a :meth:`str.format` template; the fields it may use are named in the comment beside it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToolLayout:
    """The fixed texts of tool responses (see the module docstring)."""

    name: str
    # --- search: one block per query, blocks joined by query_separator
    search_header: str  # {query} {n} {noun} (noun: result / results)
    search_entry: str  # {i} {title} {url} {date} {source} {snippet}: the three optional parts below, or ""
    search_date: str  # {date}
    search_source: str  # {source}
    search_snippet: str  # {snippet}
    search_no_results: str  # {query}
    search_failed: str  # {query} {error}
    search_invalid: str | None  # the response to a call without 'query' (None: our detailed message)
    search_scrub: tuple[str, ...] = ()  # substrings removed from each entry
    entry_separator: str = "\n\n"
    query_separator: str = "\n---\n"
    # --- visit: one block per URL, joined by url_separator
    visit_extract: str = ""  # {url} {goal} {evidence} {summary}
    visit_extract_failed: str | None = None  # {url} {goal}; None: fall back to a raw excerpt
    visit_no_evidence: str = ""  # evidence text when the extractor found nothing relevant
    visit_failed: str = ""  # {url} {error}
    visit_empty: str = ""  # {url}: fetched, but no readable text
    visit_invalid: str | None = None  # the response to a call without 'url'/'goal' (None: ours)
    url_separator: str = "\n---\n"
    strip_output: bool = False  # strip surrounding whitespace of a whole tool response
    # --- toolset
    unknown_tool: str = ""  # {name} {known}
    tool_error: str = "Error: {message}"  # a ToolError raised by a tool
    bad_arguments: str = ""  # {name} {type} {error}: a tool rejected its arguments (TypeError ...)
    tool_exception: str = ""  # {name} {type} {error}: a tool failed unexpectedly

    def search_block(self, query: str, entries: list[dict[str, str]]) -> str:
        """One query's results: the header and the entries (``entries`` hold title/url/date/source/snippet)."""
        if not entries:
            return self.search_no_results.format(query=query)
        parts = []
        for i, e in enumerate(entries, 1):
            text = self.search_entry.format(
                i=i,
                title=e.get("title", ""),
                url=e.get("url", ""),
                date=self.search_date.format(date=e["date"]) if e.get("date") else "",
                source=self.search_source.format(source=e["source"]) if e.get("source") else "",
                snippet=self.search_snippet.format(snippet=e["snippet"]) if e.get("snippet") else "",
            )
            for junk in self.search_scrub:
                text = text.replace(junk, "")
            parts.append(text)
        noun = "result" if len(entries) == 1 else "results"
        header = self.search_header.format(query=query, n=len(entries), noun=noun)
        return header + "\n\n" + self.entry_separator.join(parts)


OPENSEEKER = ToolLayout(
    name="openseeker",
    search_header="### The search for '{query}' found {n} {noun}:",
    search_entry="{i}. [{title}]({url}){date}{source}{snippet}",
    search_date="\nDate published: {date}",
    search_source="\nSource: {source}",
    search_snippet="\n\n{snippet}",
    search_no_results=(
        "No results were found for '{query}'. Try fewer or more general words, another spelling, or a "
        "query in another language."
    ),
    search_failed="The search for '{query}' failed: {error}",
    search_invalid=None,
    visit_extract='The useful information in {url} for the goal "{goal}":\n\nEvidence in page:\n{evidence}\n\n'
    "Summary:\n{summary}",
    visit_extract_failed=None,
    visit_no_evidence="The page contains no passage relevant to the goal.",
    visit_failed="The page {url} could not be visited: {error}",
    visit_empty="The page {url} was fetched but has no readable text.",
    visit_invalid=None,
    unknown_tool="Error: unknown tool {name!r}. Available tools: {known}.",
    tool_error="Error: {message}",
    bad_arguments="Error: invalid arguments for {name!r}: {error}",
    tool_exception="Error: the tool {name!r} failed: {type}: {error}",
)

# The layout of the official OpenSeeker-v1 tools (METHOD.md 6.1, 6.2; 5.3 for the toolset texts).
OPENSEEKER_V1 = ToolLayout(
    name="openseeker-v1",
    search_header="### A Google search for '{query}' found {n} results:",
    search_entry="{i}. [{title}]({url}){date}{source}\n{snippet}",
    search_date="\nDate published: {date}",
    search_source="\nSource: {source}",
    search_snippet="\n{snippet}",
    search_no_results="No results found for '{query}'. Try with a more general query.",
    # the official tool's text when the search backend cannot be reached
    search_failed="Google search Timeout, return None, Please try again later.",
    search_invalid="[Search] Invalid request format: Input must be a JSON object containing 'query' field",
    search_scrub=("Your browser can't play this video.",),
    visit_extract="The useful information in {url} for user goal {goal} as follows: \n\n"
    "Evidence in page: \n{evidence}\n\nSummary: \n{summary}\n\n",
    visit_extract_failed="The useful information in {url} for user goal {goal} as follows: \n\n"
    "Evidence in page: \nThe provided webpage content could not be accessed. Please check the URL or file "
    "format.\n\nSummary: \nThe webpage content could not be processed, and therefore, no information is "
    "available.\n\n",
    visit_no_evidence="",
    visit_failed="[visit] Failed to visit the url: {url}",
    visit_empty="[visit] Failed to visit the url: {url}",
    visit_invalid="[Visit] Invalid request format: Input must be a JSON object containing 'url' and 'goal' "
    "fields",
    strip_output=True,
    unknown_tool="Unknown tool or call tool with incorrect format.",
    tool_error="{message}",
    bad_arguments="Error during tool execution: {type}: {error}",
    tool_exception="Error during tool execution: {type}: {error}",
)
