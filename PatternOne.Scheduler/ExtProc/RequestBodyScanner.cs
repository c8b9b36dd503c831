using System.Text;
using System.Text.Json;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.ExtProc;

/// <summary>
/// Reads <c>model</c> and the head of the prompt from an OpenAI/vLLM request body as its chunks arrive, keeping only
/// what scoring needs, so what one request makes the scheduler hold does not grow with its body (a 15 MiB prompt
/// costs what a 200 KB one does):
/// <code>
///  chunk ─▶ string cutter ─▶ pending bytes ─▶ Utf8JsonReader (state kept across chunks) ─▶ model, prompt head, counts
///           (keeps ≤ MaxStringBytes of each string, counts the rest)   (≤ one cut token + one slice)
/// </code>
/// A <see cref="Utf8JsonReader"/> fed block by block must hold an incomplete token until it ends, and a prompt is
/// typically one huge string token; the cutter in front of it therefore keeps only the head of every string (cut on a
/// character boundary, never inside an escape or a surrogate pair), so the reader only ever sees short strings.
/// What is cut is counted for the token estimate but not validated: the model server parses the body and answers any
/// error in it.
/// <c>prompt</c> is a string or an array of strings (token-id prompts have no text to hash); chat <c>content</c> is a
/// string or an array of parts whose <c>text</c> parts count. Everything else is skipped.
/// </summary>
internal sealed class RequestBodyScanner
{
    /// <summary>
    /// Prompt characters kept: 4× what the default prefix index hashes (256 blocks × 64 characters), so a profile that
    /// raises <c>maxPrefixBlocksToMatch</c> still finds them.
    /// </summary>
    public const int DefaultMaxPromptChars = 65_536;

    /// <summary>Bytes fed to the reader at once: what it holds beyond the current token.</summary>
    private const int SliceBytes = 16 * 1024;

    /// <summary>The longest non-string token accepted (numbers): no field of the API needs more.</summary>
    private const int MaxOtherTokenBytes = 4 * 1024;

    private const int EscapeNone = 0;
    private const int EscapeStarted = 5;

    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    private readonly int _maxPromptChars;
    private readonly int _maxStringBytes;
    private readonly Stack<Context> _contexts = new();
    private readonly Queue<(long Ordinal, long Dropped)> _cutStrings = new();
    private readonly StringBuilder _prompt;
    private JsonReaderState _state = new(ReaderOptions);
    private byte[] _pending = [];
    private int _pendingLength;

    // The cutter's state: where it is in the byte stream.
    private bool _inString;
    private bool _afterBlank;
    private int _escape;
    private int _hex;
    private bool _afterHighSurrogate;
    private bool _cutting;
    private int _keptInString;
    private long _droppedInString;
    private long _stringsClosed;

    // The reader's side.
    private long _stringsRead;
    private Property _property;
    private bool _rootClosed;
    private bool _started;
    private string _model = "";
    private long _promptChars;
    private string _role = "";
    private string? _content;
    private StringBuilder? _parts;

    public RequestBodyScanner(int maxPromptChars = DefaultMaxPromptChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPromptChars, 1);
        _maxPromptChars = maxPromptChars;
        // Three UTF-8 bytes cover any character of the Basic Multilingual Plane; escaped text keeps fewer characters.
        _maxStringBytes = checked(maxPromptChars * 3);
        // Starts small and grows by chunks as the prompt arrives (a StringBuilder never copies what it holds): a
        // pre-sized 8,000-character buffer was 16 KB per request, half of the scheduler's allocation for a short prompt.
        _prompt = new StringBuilder();
    }

    /// <summary>Bytes of body seen so far.</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Why the body is unusable, fit for the client; null while it is fine.</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// What this request holds now: the pending bytes' buffer and the text kept, in bytes. Bounded by the options,
    /// whatever the body's size.
    /// </summary>
    public long RetainedBytes => _pending.Length + (2L * (_prompt.Capacity + (_parts?.Capacity ?? 0) + (_content?.Length ?? 0) + _role.Length));

    /// <summary>Feeds the next chunk; false once the body is known to be unusable (see <see cref="Error"/>).</summary>
    public bool Append(ReadOnlySpan<byte> chunk, bool isFinal)
    {
        if (Error is not null)
        {
            return false;
        }

        BodyBytes += chunk.Length;
        try
        {
            do
            {
                var slice = chunk[..Math.Min(chunk.Length, SliceBytes)];
                chunk = chunk[slice.Length..];
                Cut(slice);
                if (!ReadPending(isFinal && chunk.IsEmpty))
                {
                    return false;
                }
            }
            while (!chunk.IsEmpty);
        }
        catch (JsonException ex)
        {
            return Fail($"The request body is not valid JSON: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            return Fail($"The request body is not valid: {ex.Message}");
        }

        if (isFinal && !_rootClosed)
        {
            return Fail(_started ? "The request body is not a single JSON object." : "The request body must be a JSON object.");
        }

        return true;
    }

    /// <summary>The result once the last chunk was appended without error.</summary>
    public ParsedInferenceRequest Result => new(_model, _prompt.ToString(), (_promptChars + 3) / 4);

    /// <summary>Copies <paramref name="slice"/> to the pending bytes, keeping at most the head of each string.</summary>
    private void Cut(ReadOnlySpan<byte> slice)
    {
        EnsurePendingRoom(slice.Length);
        var pending = _pending.AsSpan();
        foreach (var b in slice)
        {
            if (!_inString)
            {
                if (b == (byte)'"')
                {
                    _inString = true;
                    _afterBlank = false;
                    _cutting = false;
                    _keptInString = 0;
                    _droppedInString = 0;
                    _afterHighSurrogate = false;
                }
                else if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                {
                    // One blank still delimits tokens; a run of them is held by the reader until the next token, so
                    // only one is kept.
                    if (_afterBlank)
                    {
                        continue;
                    }

                    _afterBlank = true;
                    pending[_pendingLength++] = b;
                    continue;
                }

                _afterBlank = false;
                pending[_pendingLength++] = b;
                continue;
            }

            if (_escape != EscapeNone)
            {
                if (_escape == EscapeStarted)
                {
                    _escape = b == (byte)'u' ? 4 : EscapeNone;
                    _hex = 0;
                }
                else
                {
                    _hex = (_hex << 4) | HexValue(b);
                    if (--_escape == EscapeNone)
                    {
                        _afterHighSurrogate = _hex is >= 0xD800 and <= 0xDBFF;
                    }
                }

                Keep(pending, b);
                continue;
            }

            if (b == (byte)'"')
            {
                _inString = false;
                _stringsClosed++;
                if (_droppedInString > 0)
                {
                    _cutStrings.Enqueue((_stringsClosed, _droppedInString));
                }

                pending[_pendingLength++] = b;
                continue;
            }

            // A cut lands before a character's first byte, outside escapes and never between two halves of a pair.
            var startsCharacter = (b & 0xC0) != 0x80;
            if (!_cutting && startsCharacter && _keptInString >= _maxStringBytes && !_afterHighSurrogate)
            {
                _cutting = true;
            }

            if (startsCharacter)
            {
                if (_cutting)
                {
                    _droppedInString++;
                }

                if (b != (byte)'\\')
                {
                    _afterHighSurrogate = false;
                }
            }

            if (b == (byte)'\\')
            {
                _escape = EscapeStarted;
            }

            Keep(pending, b);
        }
    }

    private void Keep(Span<byte> pending, byte b)
    {
        if (!_cutting)
        {
            pending[_pendingLength++] = b;
            _keptInString++;
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => 0, // the reader rejects the escape if it is kept; a cut one is not validated
    };

    private void EnsurePendingRoom(int more)
    {
        var needed = _pendingLength + more;
        if (needed <= _pending.Length)
        {
            return;
        }

        var grown = new byte[Math.Max(needed, Math.Min(_pending.Length * 2, _maxStringBytes + (2 * SliceBytes)))];
        _pending.AsSpan(0, _pendingLength).CopyTo(grown);
        _pending = grown;
    }

    private bool ReadPending(bool isFinal)
    {
        var reader = new Utf8JsonReader(_pending.AsSpan(0, _pendingLength), isFinal, _state);
        while (reader.Read())
        {
            if (!Handle(ref reader))
            {
                return false;
            }
        }

        var consumed = (int)reader.BytesConsumed;
        _pending.AsSpan(consumed, _pendingLength - consumed).CopyTo(_pending);
        _pendingLength -= consumed;
        _state = reader.CurrentState;
        // What is left is one incomplete token: a string, cut to its head, or something that should be short.
        return _inString || _pendingLength <= MaxOtherTokenBytes || Fail("The request body holds a JSON token too long to be valid.");
    }

    private bool Handle(ref Utf8JsonReader reader)
    {
        var top = _contexts.Count == 0 ? Context.None : _contexts.Peek();
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                var isObject = reader.TokenType == JsonTokenType.StartObject;
                var child = ChildContext(top, isObject);
                if (child == Context.Invalid)
                {
                    return Fail(top == Context.None ? "The request body must be a JSON object."
                        : _property == Property.Model ? "'model' must be a string." : "'messages' must be an array.");
                }

                _started = true;
                _contexts.Push(child);
                if (child == Context.Message)
                {
                    _role = "";
                    _content = null;
                    _parts?.Clear();
                }

                return true;

            case JsonTokenType.EndObject or JsonTokenType.EndArray:
                var closed = _contexts.Pop();
                if (closed == Context.Message)
                {
                    AppendMessage();
                }
                else if (closed == Context.Root)
                {
                    _rootClosed = true;
                }

                return true;

            case JsonTokenType.PropertyName:
                _stringsRead++;
                _property = top switch
                {
                    Context.Root when reader.ValueTextEquals("model"u8) => Property.Model,
                    Context.Root when reader.ValueTextEquals("prompt"u8) => Property.Prompt,
                    Context.Root when reader.ValueTextEquals("messages"u8) => Property.Messages,
                    Context.Message when reader.ValueTextEquals("role"u8) => Property.Role,
                    Context.Message when reader.ValueTextEquals("content"u8) => Property.Content,
                    Context.ContentPart when reader.ValueTextEquals("text"u8) => Property.Text,
                    _ => Property.Other,
                };
                return true;

            case JsonTokenType.String:
                _stringsRead++;
                var dropped = DroppedFromThisString();
                switch (top)
                {
                    case Context.Root when _property == Property.Model:
                        _model = reader.GetString() ?? "";
                        break;
                    case Context.Root when _property == Property.Prompt:
                    case Context.PromptArray:
                        AppendPrompt(reader.GetString(), dropped);
                        break;
                    case Context.Root when _property == Property.Messages:
                        return Fail("'messages' must be an array.");
                    case Context.Message when _property == Property.Role:
                        _role = reader.GetString() ?? "";
                        break;
                    case Context.Message when _property == Property.Content:
                        _content = reader.GetString() ?? "";
                        _promptChars += _content.Length + dropped;
                        if (_content.Length > _maxPromptChars)
                        {
                            _content = _content[.._maxPromptChars];
                        }

                        break;
                    case Context.ContentPart when _property == Property.Text:
                        var text = reader.GetString() ?? "";
                        _promptChars += text.Length + dropped;
                        _parts ??= new StringBuilder();
                        if (_parts.Length < _maxPromptChars)
                        {
                            _parts.Append(text, 0, Math.Min(text.Length, _maxPromptChars - _parts.Length));
                        }

                        break;
                }

                return true;

            default:
                // Numbers, booleans, null.
                return top switch
                {
                    Context.None => Fail("The request body must be a JSON object."),
                    Context.Root when _property == Property.Model => Fail("'model' must be a string."),
                    Context.Root when _property == Property.Messages => Fail("'messages' must be an array."),
                    _ => true,
                };
        }
    }

    private Context ChildContext(Context parent, bool isObject) => parent switch
    {
        Context.None => isObject ? Context.Root : Context.Invalid,
        Context.Root => _property switch
        {
            Property.Model => Context.Invalid,
            Property.Messages => isObject ? Context.Invalid : Context.MessagesArray,
            Property.Prompt when !isObject => Context.PromptArray,
            _ => Context.Ignored,
        },
        Context.MessagesArray when isObject => Context.Message,
        Context.Message when _property == Property.Content && !isObject => Context.ContentArray,
        Context.ContentArray when isObject => Context.ContentPart,
        _ => Context.Ignored,
    };

    /// <summary>Characters the cutter dropped from the string the reader is at (0 when it was kept whole).</summary>
    private long DroppedFromThisString()
    {
        if (_cutStrings.TryPeek(out var cut) && cut.Ordinal == _stringsRead)
        {
            _cutStrings.Dequeue();
            return cut.Dropped;
        }

        return 0;
    }

    private void AppendPrompt(string? text, long dropped)
    {
        text ??= "";
        _promptChars += text.Length + dropped;
        if (_prompt.Length < _maxPromptChars)
        {
            _prompt.Append(text, 0, Math.Min(text.Length, _maxPromptChars - _prompt.Length));
        }
    }

    private void AppendMessage()
    {
        if (_prompt.Length >= _maxPromptChars)
        {
            return;
        }

        var content = _content ?? _parts?.ToString() ?? "";
        PromptRenderer.AppendChatMessage(_prompt, _role, content);
        if (_prompt.Length > _maxPromptChars)
        {
            _prompt.Length = _maxPromptChars;
        }
    }

    private bool Fail(string error)
    {
        Error = error;
        _pending = [];
        _pendingLength = 0;
        return false;
    }

    private enum Context
    {
        None,
        Invalid,
        Root,
        PromptArray,
        MessagesArray,
        Message,
        ContentArray,
        ContentPart,
        Ignored,
    }

    private enum Property
    {
        Other,
        Model,
        Prompt,
        Messages,
        Role,
        Content,
        Text,
    }
}
