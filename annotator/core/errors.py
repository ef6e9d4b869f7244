"""Coded errors: every failure a user can meet has a code, says what went wrong,
where (file and line when there is one) and what to do about it.

The catalogue follows spaCy's ``Errors`` style: one template per code, formatted
where the error is raised. Codes are stable; tests and the README refer to them.
"""

from __future__ import annotations

from pathlib import Path


class Errors:
    # Projects (E0xx)
    E001 = "The file is not an annotator project (it is not an SQLite database). Pick a project file (.db) made by 'annotator init' or 'annotator import'."
    E002 = "The file is an SQLite database but not an annotator project. Pick a project made by 'annotator init', or a new file name."
    E003 = "The project was written by a newer version of annotator (schema step '{name}' is unknown here). Upgrade annotator to open it; the file was not changed."
    E004 = "The project file could not be opened: {reason}."
    E005 = "The project is busy: {holder} has held its write lock for more than {seconds} s. Wait for it to finish, or close it, and try again."
    E006 = "The project file is damaged ({reason}). Restore it from a backup, or rescue what can still be read with: sqlite3 DAMAGED.db .recover | sqlite3 RESCUED.db; the file was not changed."
    E007 = "No project file given and no default project exists. Pass --project FILE."
    # Schemes and settings (E1xx)
    E101 = "The label scheme is invalid: {reason}. Fix the file and run the command again."
    E102 = "The stance target list is invalid: {reason}. Fix the file and run the command again."
    E103 = "The scheme file could not be parsed as {kind}: {reason}."
    E104 = "Unknown setting '{key}'. Known settings: {known}."
    E105 = "Unknown label '{label}' for the {layer} layer. Known labels: {known}."
    E106 = "Unknown stance target '{target}'. Known targets: {known}. Add it with 'annotator init --targets' or in the scheme."
    E107 = "The projects' schemes differ: {difference}. Merge copies of one project, or make the schemes equal with 'annotator init --labels/--targets' first; nothing was written."
    # Import (E2xx)
    E201 = "The file is not valid {encoding} text (byte {offset}: {reason}). Save it as UTF-8 or pass --encoding."
    E202 = "The file looks binary (it holds NUL bytes), not text. Import .txt, .md, .jsonl, .json or .csv files."
    E203 = "The file is empty; there is nothing to import."
    E204 = "The line is not valid JSON: {reason}. Each line of a .jsonl file must be one JSON object."
    E205 = "The record has no 'text' field (or it is not a non-empty string). Every article needs its text."
    E206 = "Span {index} ({layer}) is out of bounds: start={start}, end={end}, but the text has {length} {unit}. Offsets are end-exclusive."
    E207 = "Span {index} ({layer}) is empty or reversed: start={start} must be smaller than end={end}."
    E208 = "Span {index} ({layer}) has a field of the wrong type: {field} = {value!r} (expected {expected})."
    E209 = "Span {index} ({layer}) text does not match the article: the file says {given!r} but text[{start}:{end}] is {actual!r}. Check the offsets ({unit}, end-exclusive)."
    E210 = "The record is not a JSON object but {kind}. Each line must be an object with a 'text' field."
    E211 = "The CSV file has no 'text' column (columns: {columns}). Name the column that holds the articles 'text'."
    E212 = "Unsupported file type '{suffix}'. Import .txt, .md, .jsonl, .json, .csv, .tsv, .conll, .iob or .spacy files, or folders of them."
    E213 = "The path does not exist."
    E214 = "Span {index} has an unknown label '{label}' for the {layer} layer. Known labels: {known}. Add the label to the scheme or fix the file."
    E215 = "Span {index} (stance) has no target, or an unknown one: {target!r}. Known targets: {known}."
    E216 = "The holder of stance {index} ({start}, {end}) is not one of the article's entity spans."
    E217 = "The record is too large ({size} bytes; the limit is {limit}). Split the article or raise --max-record-bytes."
    E218 = "The CSV row has {found} fields but the header has {expected}. Quote fields that contain commas."
    E219 = "The JSON nests deeper than {limit} levels; an article record is at most a few levels deep."
    E220 = "Field '{field}' has the wrong type: {value!r} (expected {expected})."
    E221 = "The record was refused by the project's integrity checks ({reason}). Check its offsets and fields."
    E222 = "The file is an annotator project (or one of its -wal/-shm files) that is open here, not a file of articles. Import .jsonl, .json, .txt, .md, .csv or CoNLL files; to combine projects use 'annotator merge'."
    # Interchange with other tools (E23x)
    E230 = "The span texts of this record match its offsets in no unit ({detail}). The record's offsets are wrong, or its text was changed after it was annotated; fix the record or leave it out with --skip-invalid."
    E231 = "Span {index} ({layer}): offset {offset} is not a character boundary when counted in {unit} ({reason}). Pass --offsets with the unit the file was made with (codepoints, utf16 or graphemes)."
    E232 = "The file looks like {kind}, which annotator does not import. {advice}"
    E233 = "The {kind} line is malformed: {reason}. Each token line needs the token first and its tag (O, B-X, I-X, E-X, L-X, S-X, U-X) last."
    E234 = "The spaCy DocBin could not be read: {reason}. Write it with spaCy 3 (DocBin.to_disk) or export it again."
    E235 = "The Label Studio record has no text: none of its data fields ({fields}) is a non-empty string. Label Studio tasks for annotator need a Text object."
    # Suggestions and models (E3xx)
    E301 = "The spaCy pipeline '{name}' could not be loaded: {reason}. Install it (see 'annotator models') or pass a path to a pipeline folder."
    E302 = "The gold file has no article that matches a document of the project (articles are matched by their text)."
    E303 = "Unknown spaCy pipeline '{name}': it is neither an installed spaCy pipeline package nor a pipeline folder. Installed: {known}. Use 'auto', 'rules', an installed package or a path to a pipeline folder."
    E304 = "The gazetteer pattern file is invalid: {reason}. Each line must be a JSON object with 'label', 'pattern' and an optional 'id'."
    E305 = "The stance cue lexicon is invalid: {reason}. See the format described at the top of resources/cues.toml."
    E306 = "The project setting '{key}' is invalid: {reason}."
    E307 = "The folder {folder} is not a stance model saved by annotator: {reason}. Train one with 'annotator train-stance'."
    E308 = "Article {doc} could not be suggested: {reason}. It was left without suggestions and the other articles went on. Fix the pipeline component (or the article) that fails, then retry it: Article > Retry failed suggestions (Ctrl+Shift+R) in the window, or 'annotator suggest', which suggests every article still without suggestions."
    # Distributed suggestion (E35x)
    E350 = "Dask is not installed ({reason}). Install it with: pip install 'annotator[dask]' (on the workers too)."
    E351 = "Could not reach the Dask scheduler at {address}: {reason}. Check the address (tcp://HOST:8786) and that the scheduler runs."
    E352 = "A worker has no pipeline folder '{model}' and none was shipped to it. Run the command from the machine that has the folder."
    E353 = "The Dask workers built a different suggester ({worker}) than this machine ({client}): their environment differs. Give the workers the same annotator, spaCy and pipeline versions."
    # Export (E4xx)
    E401 = "Nothing to export: {reason}."
    E402 = "The output path leaves the chosen folder {folder}. Pick another folder, or remove the link that points outside it."
    E403 = "Unknown export format '{name}'. Known formats: {known}."
    E404 = "--split must be between 0 and 1 (exclusive), not {value}."
    E405 = "The output exists and is a file, but --format {format} writes a folder here. Pass a folder, or a file name with the format's extension."
    E406 = "A spaCy export needs at least two documents (one for training, one for dev); found {found}. Mark more articles done, or pass --all."
    E407 = "The project holds articles finished by several annotators that were not reviewed yet: {articles}. Settle them in Review mode (View > Review disagreements), or export one person's work with --annotator NAME."
    # Search and GUI (E5xx)
    E501 = "The search query could not be understood: {reason}. Use words, \"quoted phrases\", OR, NOT and prefix*."
    # Training (E6xx)
    E601 = "Too few finished documents to train: {found} (at least {needed} are needed). Mark more articles done first."
    E602 = "The base pipeline '{name}' has no entity recogniser to fine-tune (its components: {pipes}). Pick a pipeline with 'ner', or train from scratch without --base."
    E603 = "Unknown component to train: {name}. Known components: {known}."
    E604 = "Nothing could be trained: {reason}."
    E605 = "The folder is not a pipeline trained by annotator (no 'annotator' section in its meta.json): {reason}."
    E606 = "The folder holds files annotator did not write ({files}); training never deletes them. Pick a new or empty folder, or move those files away."
    E620 = "Too few stance decisions to train a stance model: {found} usable, with the classes {classes}. Accept, correct or write stances of at least two labels first."
    # Team work: merge, assign, agreement, review (E7xx)
    E701 = "The project {path} is both a source and the target of the merge. Merge into a new file (--into TEAM.db)."
    E702 = "The output file already exists: {path}. Move it away or pick another folder with --out; nothing was written."
    E703 = "--overlap must be between 0 and 1, not {value}."
    E704 = "Invalid annotator name {name!r}: {reason}."
    E705 = "Nothing to compare: {reason}."
    # Reports (E8xx)
    E801 = "The report could not be written: {reason}. Pick a file in a folder you can write to."
    # Files and disks (E9xx)
    E901 = "Could not {action}: no space left on the disk ({reason}). Nothing of this step was saved and everything saved before is kept; free some space and try again."
    E902 = "Could not {action}: permission denied or read-only ({reason}). Pick a file or folder you can write, or change its permissions."
    E903 = "Could not {action}: the path cannot be used ({reason}). {advice}"
    E904 = "Could not {action}: the file disappeared while it was being read ({reason}). Nothing of it was imported; check the file is there and run the command again."
    E905 = "Could not {action}: the disk failed to read or write the project file ({reason}). Everything committed before is kept; check the disk and its free space, then try again."


class AnnotatorError(Exception):
    """An error the user can act on.

    Parameters
    ----------
    template:
        One of the :class:`Errors` templates; its attribute name is the code.
    path, line:
        Where the problem is, when it comes from a file.
    **fields:
        Values for the template's placeholders.
    """

    def __init__(
        self,
        template: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        **fields: object,
    ) -> None:
        self.code = _code_of(template)
        self.path = str(path) if path is not None else None
        self.line = line
        self.fields = fields
        self.message = template.format(**fields) if fields else template
        super().__init__(self.__str__())

    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        where = self.where()
        return f"[{self.code}] {where}: {self.message}" if where else f"[{self.code}] {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "path": self.path, "line": self.line, "message": self.message}


_CODES = {value: name for name, value in vars(Errors).items() if name[:1] == "E" and name[1:].isdigit()}


def os_error(exc: OSError, *, action: str, path: str | Path | None = None) -> AnnotatorError:
    """A coded error for a failed file operation, chosen by its errno: a full disk
    (E901), a read-only file or folder (E902), a file that vanished while being
    read (E904), or a path the system cannot use (E903: a name too long, a file
    where a folder should be, a special filesystem such as /proc)."""
    import errno

    where = path if path is not None else exc.filename
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return AnnotatorError(Errors.E901, path=where, action=action, reason=reason)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return AnnotatorError(Errors.E902, path=where, action=action, reason=reason)
    advice = {
        errno.ENAMETOOLONG: "Use a shorter file or folder name (at most 255 bytes each).",
        errno.ENOTDIR: "A part of the path is a file, not a folder; pick another place.",
        errno.EEXIST: "A file of that name is in the way; pick another place.",
        errno.EISDIR: "The path is a folder; give a file name.",
        errno.ENOENT: "A folder on the way does not exist and cannot be made there; pick another place.",
    }.get(exc.errno or 0, "Pick another place.")
    return AnnotatorError(Errors.E903, path=where, action=action, reason=reason, advice=advice)


def _code_of(template: str) -> str:
    return _CODES.get(template, "E000")
