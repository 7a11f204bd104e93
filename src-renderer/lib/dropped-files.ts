/**
 * The files of a drop. In Electron a dropped folder is one File whose path the preload can
 * read, so the drop's files are used as they are. A browser cannot upload a folder's File, so
 * there folders are walked and each file carries its path inside the drop, like the files
 * of `<input webkitdirectory>` do.
 *
 * The entries must be taken while the drop event is dispatched; their contents are read later.
 */
export function takeDroppedFiles(transfer: DataTransfer, expandFolders: boolean): () => Promise<File[]> {
  const files = Array.from(transfer.files);
  if (!expandFolders) return async () => files;
  const entries = Array.from(transfer.items, (item) => item.webkitGetAsEntry());
  if (!entries.some((entry) => entry?.isDirectory)) return async () => files;
  return async () => {
    const collected: File[] = [];
    for (const entry of entries) if (entry) await collect(entry, collected);
    return collected;
  };
}

async function collect(entry: FileSystemEntry, into: File[]): Promise<void> {
  if (isFile(entry)) {
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    // The upload names each file by webkitRelativePath, which only folder pickers set.
    Object.defineProperty(file, 'webkitRelativePath', { value: entry.fullPath.replace(/^\/+/, '') });
    into.push(file);
  } else if (isDirectory(entry)) {
    for (const child of await readAll(entry.createReader())) await collect(child, into);
  }
}

/** readEntries answers in batches (100 in Chromium) until it returns an empty one. */
async function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}
