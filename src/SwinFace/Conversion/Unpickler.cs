using System.Buffers.Binary;
using System.Text;

namespace SwinFace.Conversion;

/// <summary>
/// A restricted unpickler for the <c>data.pkl</c> of a PyTorch checkpoint. It interprets the binary
/// pickle opcodes that <c>torch.save</c> writes (protocols 2 to 5) and nothing else, and it resolves
/// only the globals of <see cref="AllowedGlobals"/>: a state dict never needs more. Any other global
/// (<c>posix.system</c>, <c>builtins.eval</c>, a class of someone's model) is refused where it appears,
/// before anything could call it: Python's own unpickler would run such code.
/// </summary>
/// <remarks>
/// The values it builds: <see langword="null"/>, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="string"/>, <c>byte[]</c>, tuples as <c>object?[]</c>, lists as <see cref="List{T}"/>,
/// dicts and <c>OrderedDict</c>s as <see cref="PickleDict"/>, allowed globals as <see cref="PickleGlobal"/>,
/// and whatever the callbacks make of persistent ids and of calls to the tensor rebuilders.
/// </remarks>
internal sealed class Unpickler
{
    /// <summary>The globals a state-dict checkpoint uses: the dict type, the tensor rebuilders and the storage types.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(
        new[] { "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter" }
            .Concat(TorchDTypes.StorageTypes.Keys.Select(k => "torch." + k)),
        StringComparer.Ordinal);

    private const int MaxGlobalNameLength = 256;

    private readonly byte[] _data;
    private readonly string _origin;
    private readonly Func<object?, object> _persistentLoad;
    private readonly Func<PickleGlobal, object?[], object?> _call;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;

    private Unpickler(byte[] data, string origin, Func<object?, object> persistentLoad, Func<PickleGlobal, object?[], object?> call)
    {
        _data = data;
        _origin = origin;
        _persistentLoad = persistentLoad;
        _call = call;
    }

    /// <summary>Interprets a pickle and returns the object it describes.</summary>
    /// <param name="data">The pickle's bytes.</param>
    /// <param name="origin">Where they come from, for messages (such as "ckpt.pt: archive/data.pkl").</param>
    /// <param name="persistentLoad">Turns a persistent id (PyTorch's storage references) into an object.</param>
    /// <param name="call">Calls an allowed global other than <c>OrderedDict</c> with its arguments.</param>
    /// <exception cref="SwinFaceModelException">The pickle is malformed, truncated, uses an unsupported opcode, or names a global that is not allowed.</exception>
    public static object? Load(byte[] data, string origin, Func<object?, object> persistentLoad, Func<PickleGlobal, object?[], object?> call) =>
        new Unpickler(data, origin, persistentLoad, call).Run();

    private object? Run()
    {
        while (true)
        {
            int at = _position;
            byte op = Byte();
            switch (op)
            {
                case 0x80: // PROTO
                    byte protocol = Byte();
                    if (protocol is < 2 or > 5)
                    {
                        throw Error(at, $"pickle protocol {protocol}; PyTorch checkpoints use protocols 2 to 5");
                    }

                    break;
                case 0x95: // FRAME: a hint for buffered readers
                    Skip(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                    {
                        throw Error(at, $"STOP with {_stack.Count} values on the stack and {_marks.Count} open marks");
                    }

                    return _stack[0];
                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    break;
                case (byte)'0': // POP
                    Pop(at);
                    break;
                case (byte)'1': // POP_MARK
                    PopMark(at);
                    break;
                case (byte)'2': // DUP
                    Push(Peek(at));
                    break;
                case (byte)'N':
                    Push(null);
                    break;
                case 0x88:
                    Push(true);
                    break;
                case 0x89:
                    Push(false);
                    break;
                case (byte)'K': // BININT1
                    Push((long)Byte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case 0x8a: // LONG1
                    Push(Long(at, Byte()));
                    break;
                case 0x8b: // LONG4
                    Push(Long(at, Length(at, BinaryPrimitives.ReadInt32LittleEndian(Take(4)))));
                    break;
                case (byte)'G': // BINFLOAT, big-endian
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(Utf8(at, Length(at, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Utf8(at, Byte()));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Utf8(at, Length(at, BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))));
                    break;
                case (byte)'T': // BINSTRING (Python 2 str)
                    Push(Encoding.Latin1.GetString(Take(Length(at, BinaryPrimitives.ReadInt32LittleEndian(Take(4))))));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(Encoding.Latin1.GetString(Take(Byte())));
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(Length(at, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray());
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(Byte()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                    Push(Take(Length(at, BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray());
                    break;
                case (byte)')':
                    Push(Array.Empty<object?>());
                    break;
                case (byte)'t': // TUPLE
                    Push(PopMark(at).ToArray());
                    break;
                case 0x85:
                    Push(PopN(at, 1));
                    break;
                case 0x86:
                    Push(PopN(at, 2));
                    break;
                case 0x87:
                    Push(PopN(at, 3));
                    break;
                case (byte)']':
                    Push(new List<object?>());
                    break;
                case (byte)'l': // LIST
                    Push(PopMark(at));
                    break;
                case (byte)'a': // APPEND
                {
                    object? item = Pop(at);
                    As<List<object?>>(Peek(at), at, "APPEND").Add(item);
                    break;
                }

                case (byte)'e': // APPENDS
                {
                    List<object?> items = PopMark(at);
                    As<List<object?>>(Peek(at), at, "APPENDS").AddRange(items);
                    break;
                }

                case (byte)'}':
                    Push(new PickleDict());
                    break;
                case (byte)'d': // DICT
                {
                    List<object?> items = PopMark(at);
                    var dict = new PickleDict();
                    SetItems(dict, items, at);
                    Push(dict);
                    break;
                }

                case (byte)'s': // SETITEM
                {
                    object? value = Pop(at);
                    object? key = Pop(at);
                    As<PickleDict>(Peek(at), at, "SETITEM").Set(Key(key, at), value);
                    break;
                }

                case (byte)'u': // SETITEMS
                {
                    List<object?> items = PopMark(at);
                    SetItems(As<PickleDict>(Peek(at), at, "SETITEMS"), items, at);
                    break;
                }

                case (byte)'q': // BINPUT
                    _memo[Byte()] = Peek(at);
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(at);
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek(at);
                    break;
                case (byte)'h': // BINGET
                    Push(Memo(at, Byte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Memo(at, BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case (byte)'c': // GLOBAL: "module\nname\n"
                {
                    string module = Line(at);
                    string name = Line(at);
                    Push(Global(at, module, name));
                    break;
                }

                case 0x93: // STACK_GLOBAL
                {
                    string name = As<string>(Pop(at), at, "STACK_GLOBAL");
                    string module = As<string>(Pop(at), at, "STACK_GLOBAL");
                    Push(Global(at, module, name));
                    break;
                }

                case (byte)'R': // REDUCE
                {
                    object?[] args = As<object?[]>(Pop(at), at, "REDUCE");
                    PickleGlobal callable = As<PickleGlobal>(Pop(at), at, "REDUCE");
                    Push(Reduce(callable, args, at));
                    break;
                }

                case (byte)'b': // BUILD
                {
                    object? state = Pop(at);
                    object? target = Peek(at);
                    // An OrderedDict's state is its attributes: a state dict's '_metadata' (module versions). Ignored.
                    if (target is not PickleDict || state is not (null or PickleDict))
                    {
                        throw Error(at, $"BUILD of a {Describe(target)} with a {Describe(state)}; a state dict only sets attributes of a dict");
                    }

                    break;
                }

                case (byte)'Q': // BINPERSID
                    Push(_persistentLoad(Pop(at)));
                    break;
                default:
                    throw Error(at, $"unsupported pickle opcode 0x{op:x2}{(op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : string.Empty)}; a state-dict checkpoint does not use it");
            }
        }
    }

    private object? Reduce(PickleGlobal callable, object?[] args, int at)
    {
        if (callable.FullName == "collections.OrderedDict")
        {
            if (args.Length != 0)
            {
                throw Error(at, "OrderedDict called with arguments");
            }

            return new PickleDict();
        }

        if (TorchDTypes.StorageTypes.ContainsKey(callable.Name))
        {
            throw Error(at, $"a call of '{callable.FullName}'; storages come only as persistent ids");
        }

        try
        {
            return _call(callable, args);
        }
        catch (SwinFaceModelException e)
        {
            throw new SwinFaceModelException($"{_origin}: at byte {at}: {e.Message}", e);
        }
    }

    private PickleGlobal Global(int at, string module, string name)
    {
        string full = $"{module}.{name}";
        if (!AllowedGlobals.Contains(full))
        {
            throw new SwinFaceModelException(
                $"{_origin}: at byte {at}: the pickle refers to the global '{full}', which a state-dict checkpoint never needs; refused (Python's unpickler would import and run it). Allowed: {string.Join(", ", AllowedGlobals.Order(StringComparer.Ordinal))}.");
        }

        return new PickleGlobal(module, name);
    }

    private void SetItems(PickleDict dict, List<object?> items, int at)
    {
        if (items.Count % 2 != 0)
        {
            throw Error(at, "an odd number of items for a dict");
        }

        for (int i = 0; i < items.Count; i += 2)
        {
            dict.Set(Key(items[i], at), items[i + 1]);
        }
    }

    private object Key(object? key, int at) => key switch
    {
        string or long or bool or double => key,
        _ => throw Error(at, $"a dict key of type {Describe(key)}; state dicts have string keys"),
    };

    private object? Memo(int at, long index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Error(at, $"memo entry {index} used before it was stored");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek(int at)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        return _stack.Count > floor ? _stack[^1] : throw Error(at, "an opcode needs a value, and the stack is empty");
    }

    private object? Pop(int at)
    {
        object? value = Peek(at);
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] PopN(int at, int n)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count - floor < n)
        {
            throw Error(at, $"a tuple of {n} needs {n} values on the stack");
        }

        object?[] items = _stack.GetRange(_stack.Count - n, n).ToArray();
        _stack.RemoveRange(_stack.Count - n, n);
        return items;
    }

    private List<object?> PopMark(int at)
    {
        if (_marks.Count == 0)
        {
            throw Error(at, "an opcode needs a MARK, and there is none");
        }

        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        List<object?> items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte Byte() => Take(1)[0];

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _data.Length - _position)
        {
            throw Error(_position, $"the pickle ends early: {n} more bytes needed, {_data.Length - _position} left");
        }

        ReadOnlySpan<byte> span = _data.AsSpan(_position, n);
        _position += n;
        return span;
    }

    private void Skip(int n) => Take(n);

    private int Length(int at, long n) =>
        n >= 0 && n <= _data.Length - _position ? (int)n : throw Error(at, $"a length of {n} bytes, more than the {_data.Length - _position} left in the pickle");

    private int Length(int at, ulong n) => Length(at, n > long.MaxValue ? -1 : (long)n);

    private string Utf8(int at, int n)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(Take(n));
        }
        catch (DecoderFallbackException)
        {
            throw Error(at, "a string that is not valid UTF-8");
        }
    }

    private long Long(int at, int n)
    {
        if (n > 8)
        {
            throw Error(at, $"an integer of {n} bytes; sizes and offsets fit in 8");
        }

        ReadOnlySpan<byte> bytes = Take(n);
        long value = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        // Sign-extend from the top byte, as pickle's two's complement LONG1 encodes it.
        return n is > 0 and < 8 && (bytes[n - 1] & 0x80) != 0 ? value - (1L << (8 * n)) : value;
    }

    private string Line(int at)
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position, Math.Min(MaxGlobalNameLength, _data.Length - _position));
        if (end < 0)
        {
            throw Error(at, "a GLOBAL whose name does not end within 256 bytes");
        }

        string line = Encoding.ASCII.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private T As<T>(object? value, int at, string opcode) =>
        value is T t ? t : throw Error(at, $"{opcode} on a {Describe(value)}");

    private SwinFaceModelException Error(int at, string reason) => new($"{_origin}: malformed pickle at byte {at}: {reason}.");

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        object?[] => "tuple",
        List<object?> => "list",
        PickleDict => "dict",
        PickleGlobal g => $"global '{g.FullName}'",
        string => "str",
        long => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        _ => value.GetType().Name,
    };
}

/// <summary>A global that the unpickler allowed, such as <c>torch._utils._rebuild_tensor_v2</c>.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A pickled dict or <c>OrderedDict</c>: its items in insertion order. A key set again keeps its first place, as in Python.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    public int Count => _items.Count;

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            _items[i] = new(key, value);
        }
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _items[i].Value;
            return true;
        }

        value = null;
        return false;
    }
}
