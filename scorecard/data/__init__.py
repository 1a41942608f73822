"""The input data: the contract every file and request is checked against, and its files.

* :mod:`.contract` — every column's kind, nullability, range and allowed values, as plain data
  (standard library only; the serving image imports it).
* :mod:`.records` — the contract check of one decoded JSON record (standard library only).
* :mod:`.schema` — the pandera schema built from the contract, and the lazy frame check.
* :mod:`.files` — reading and writing data files in a contract's format.
* :mod:`.arrow`, :mod:`.block`, :mod:`.chunks`, :mod:`.arrays` — the typed one-pass reader:
  pyarrow parses, typed blocks of numpy and arrow columns are checked by vectorised rules,
  files stream in pieces with bounded memory, numpy and arrow meet through their buffers.
* :mod:`.safety` — checks on the paths a user hands a command.
* :mod:`.errors`, :mod:`.atomic`, :mod:`.paths` — the data error, atomic writes, default paths.
* :mod:`.synthetic` — the generated Klarna data with its known true pd.

Bottom layer: imports nothing else of the project.
"""
