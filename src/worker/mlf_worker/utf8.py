"""Where bytes that should be UTF-8 (MLmodel, a JSON or CSV input) first fail to decode."""


def not_utf8(what, data, error, **extra):
    """The problem of bytes that are not UTF-8, at the line and column of the first bad byte."""
    start = error.start
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", "replace")) + 1
    return "{} is not UTF-8 text: byte 0x{:02x} cannot be decoded ({})".format(what, data[start], error.reason), dict(
        extra, line=line, column=column
    )


def first_undecodable_byte(path, chunk_size=1 << 20):
    """(line, column, byte, reason) of the first byte of a file that is not UTF-8, or None.

    Used only after a reader (pandas) has failed on the file: two passes in chunks, so that a
    large input is never held whole in memory.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0
    found = None
    with open(path, "rb") as f:
        while found is None:
            chunk = f.read(chunk_size)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                found = (consumed - pending + e.start, e.reason)
                break
            if not chunk:
                return None
            consumed += len(chunk)
    offset, reason = found
    line, line_start = 1, 0
    with open(path, "rb") as f:
        read = 0
        while read < offset:
            chunk = f.read(min(chunk_size, offset - read))
            newlines = chunk.count(b"\n")
            if newlines:
                line += newlines
                line_start = read + chunk.rfind(b"\n") + 1
            read += len(chunk)
        f.seek(line_start)
        prefix = f.read(offset - line_start)
        byte = f.read(1)
    column = len(prefix.decode("utf-8", "replace")) + 1
    return line, column, byte[0], reason
