using System.Globalization;
using System.Text;
using SwinFace.Inference;

namespace SwinFace.Conversion;

/// <summary>
/// A file written by <c>torch.save</c> in the ZIP format of PyTorch 1.6 and later, read without Python:
/// <c>NAME/data.pkl</c> (the pickled object, read by the restricted <see cref="Unpickler"/>),
/// <c>NAME/data/KEY</c> (one entry per storage) and <c>NAME/version</c>. The entry prefix is whatever
/// the writer chose (torch 1.13 uses the file's stem, newer versions <c>archive</c>), so entries are
/// matched by suffix. Storages saved on a GPU (<c>cuda:N</c>) are read like any other: their bytes are
/// the same.
/// </summary>
internal sealed class TorchCheckpoint
{
    private const long MaxPickleBytes = 64L << 20;

    // torch.save before 1.6 starts with the pickled magic number 0x1950a86a20f9469cfc6c (as LONG1).
    private static readonly byte[] LegacyMagic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    private TorchCheckpoint(StoredZip archive, object? root)
    {
        Archive = archive;
        Root = root;
    }

    public StoredZip Archive { get; }

    /// <summary>Gets the unpickled object: for SwinFace, a dict of four state dicts of <see cref="TorchTensor"/>s.</summary>
    public object? Root { get; }

    /// <summary>Whether the bytes look like a file of <c>torch.save</c>: a ZIP archive, or the legacy format.</summary>
    public static bool LooksLikeCheckpoint(StoredZip archive) => DataEntry(archive) is not null;

    /// <summary>Reads the checkpoint's object; the tensors' data stays in the file until it is asked for.</summary>
    /// <exception cref="SwinFaceModelException">The file is not a PyTorch checkpoint, is in the legacy format, is damaged, or its pickle is refused.</exception>
    public static TorchCheckpoint Read(RandomAccessBytes bytes, string origin)
    {
        RefuseLegacy(bytes, origin);
        return Read(StoredZip.Read(bytes, origin, "a PyTorch checkpoint written by torch.save"));
    }

    /// <summary>Reads the checkpoint's object from an archive already opened.</summary>
    /// <exception cref="SwinFaceModelException">The archive is not a PyTorch checkpoint, is damaged, or its pickle is refused.</exception>
    public static TorchCheckpoint Read(StoredZip archive)
    {
        string origin = archive.Origin;
        StoredZip.Entry pickle = DataEntry(archive) ?? throw new SwinFaceModelException(
            $"{origin}: expected a PyTorch checkpoint, with an entry NAME/data.pkl; found a ZIP archive with entries [{string.Join(", ", archive.Entries.Take(8).Select(e => e.Name))}{(archive.Entries.Count > 8 ? ", ..." : string.Empty)}].");
        string prefix = pickle.Name[..^"data.pkl".Length];

        if (archive.Find(prefix + "byteorder") is { } order)
        {
            string text = Encoding.ASCII.GetString(archive.ReadAll(order, 16)).Trim();
            if (text != "little")
            {
                throw new SwinFaceModelException($"{origin}: the checkpoint's byte order is '{text}'; only little-endian checkpoints are read. Re-save it with torch.save on a little-endian machine.");
            }
        }

        if (archive.Find(prefix + "version") is { } versionEntry)
        {
            string text = Encoding.ASCII.GetString(archive.ReadAll(versionEntry, 16)).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version is < 1 or > 3)
            {
                throw new SwinFaceModelException($"{origin}: serialization version '{text}' in '{versionEntry.Name}'; this reader knows versions 1 to 3 (PyTorch 1.6 to 2.x).");
            }
        }

        byte[] data = archive.ReadAll(pickle, MaxPickleBytes);
        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        object? root = Unpickler.Load(
            data,
            $"{origin}: {pickle.Name}",
            pid => Storage(archive, prefix, pid, storages),
            (callable, args) => Call(archive, callable, args));
        return new TorchCheckpoint(archive, root);
    }

    private static StoredZip.Entry? DataEntry(StoredZip archive)
    {
        StoredZip.Entry[] found = archive.Entries
            .Where(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal) && e.Name.IndexOf('/', StringComparison.Ordinal) == e.Name.Length - "/data.pkl".Length)
            .ToArray();
        if (found.Length > 1)
        {
            throw new SwinFaceModelException($"{archive.Origin}: expected one NAME/data.pkl entry, found {found.Length} ({string.Join(", ", found.Select(e => e.Name))}).");
        }

        return found.Length == 1 ? found[0] : null;
    }

    /// <summary>Refuses the legacy format of torch.save before PyTorch 1.6 with a message that says how to re-save the file.</summary>
    /// <exception cref="SwinFaceModelException">The bytes are in that format.</exception>
    public static void RefuseLegacy(RandomAccessBytes bytes, string origin)
    {
        Span<byte> head = stackalloc byte[2 + LegacyMagic.Length];
        bool isLegacy = false;
        if (bytes.Length >= head.Length)
        {
            bytes.Read(0, head);
            isLegacy = head[0] == 0x80 && head[1] is >= 2 and <= 5 && head[2..].SequenceEqual(LegacyMagic);
        }

        Span<byte> tar = stackalloc byte[5];
        if (!isLegacy && bytes.Length >= 262)
        {
            bytes.Read(257, tar);
            isLegacy = tar.SequenceEqual("ustar"u8);
        }

        if (isLegacy)
        {
            throw new SwinFaceModelException(
                $"{origin}: this checkpoint is in PyTorch's legacy serialization format (torch.save before PyTorch 1.6), which this reader does not read. " +
                "Re-save it once with PyTorch 1.6 or later: python -c \"import torch; torch.save(torch.load('old.pt', map_location='cpu'), 'new.pt')\".");
        }
    }

    private static TorchStorage Storage(StoredZip archive, string prefix, object? pid, Dictionary<string, TorchStorage> storages)
    {
        if (pid is not object?[] { Length: 5 } t || t[0] is not "storage" || t[1] is not PickleGlobal type || t[2] is not string key || t[3] is not string location || t[4] is not long count)
        {
            throw new SwinFaceModelException($"{archive.Origin}: a persistent id that is not ('storage', type, key, location, size): {Describe(pid)}.");
        }

        if (!TorchDTypes.StorageTypes.TryGetValue(type.Name, out TorchDType dtype) || type.Module != "torch")
        {
            throw new SwinFaceModelException($"{archive.Origin}: storage '{key}' has type '{type.FullName}', which is not a tensor storage.");
        }

        if (storages.TryGetValue(key, out TorchStorage? known))
        {
            if (known.DType != dtype || known.Count != count)
            {
                throw new SwinFaceModelException($"{archive.Origin}: storage '{key}' is described twice, as {known.Count} x {known.DType.TorchName()} and as {count} x {dtype.TorchName()}.");
            }

            return known;
        }

        if (key.Length == 0 || key.Contains('/', StringComparison.Ordinal) || key.Contains('\\', StringComparison.Ordinal) || key is "." or "..")
        {
            throw new SwinFaceModelException($"{archive.Origin}: storage key '{key}' is not a plain entry name.");
        }

        string name = $"{prefix}data/{key}";
        StoredZip.Entry entry = archive.Find(name)
            ?? throw new SwinFaceModelException($"{archive.Origin}: storage '{key}' is missing: the archive has no entry '{name}'. The file is truncated or damaged.");
        if (count < 0 || count > long.MaxValue / dtype.Size() || entry.Length != count * dtype.Size())
        {
            throw new SwinFaceModelException(
                $"{archive.Origin}: storage '{key}' ({location}) should hold {count} x {dtype.TorchName()} = {count * (long)dtype.Size()} bytes, but entry '{name}' has {entry.Length}. The file is truncated or damaged.");
        }

        var storage = new TorchStorage(key, dtype, count, location, entry);
        storages[key] = storage;
        return storage;
    }

    private static TorchTensor Call(StoredZip archive, PickleGlobal callable, object?[] args)
    {
        switch (callable.FullName)
        {
            case "torch._utils._rebuild_tensor_v2":
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.Length is < 6 or > 7 || args[0] is not TorchStorage storage || args[1] is not long offset
                    || !TryLongs(args[2], out long[]? shape) || !TryLongs(args[3], out long[]? strides) || args[4] is not bool)
                {
                    throw new SwinFaceModelException($"_rebuild_tensor_v2 called with ({string.Join(", ", args.Select(Unpickler.Describe))}), expected (storage, offset, sizes, strides, requires_grad, hooks).");
                }

                return TorchTensor.Create(archive, storage, offset, shape!, strides!);
            case "torch._utils._rebuild_parameter":
                // (data, requires_grad, backward_hooks): a Parameter saved with keep_vars=True is its data here.
                return args.Length == 3 && args[0] is TorchTensor tensor
                    ? tensor
                    : throw new SwinFaceModelException($"_rebuild_parameter called with ({string.Join(", ", args.Select(Unpickler.Describe))}), expected (tensor, requires_grad, hooks).");
            default:
                throw new SwinFaceModelException($"a call of '{callable.FullName}', which a state dict does not make.");
        }
    }

    private static bool TryLongs(object? value, out long[]? result)
    {
        result = value is object?[] items && items.All(i => i is long) ? items.Select(i => (long)i!).ToArray() : null;
        return result is not null;
    }

    private static string Describe(object? value) => value is object?[] items
        ? "(" + string.Join(", ", items.Select(Unpickler.Describe)) + ")"
        : Unpickler.Describe(value);
}
