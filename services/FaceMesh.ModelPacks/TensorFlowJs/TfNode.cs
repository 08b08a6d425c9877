namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// One node of a TensorFlow graph: its name, op and inputs (each <c>node</c> or <c>node:k</c>; control
/// inputs, written <c>^node</c>, are dropped when the graph is read), and its attributes.
/// </summary>
public sealed record TfNode(string Name, string Op, IReadOnlyList<string> Inputs, IReadOnlyDictionary<string, TfAttribute> Attributes)
{
    public TfAttribute? Attribute(string name) => Attributes.GetValueOrDefault(name);

    public long Int(string name, long fallback = 0) => Attribute(name)?.Int ?? fallback;
    public bool Bool(string name, bool fallback = false) => Attribute(name)?.Bool ?? fallback;
    public float Float(string name, float fallback = 0) => Attribute(name)?.Float ?? fallback;
    public string? String(string name) => Attribute(name)?.String;
    public IReadOnlyList<long> Ints(string name) => Attribute(name)?.Ints ?? [];
    public IReadOnlyList<string> Strings(string name) => Attribute(name)?.Strings ?? [];
}

/// <summary>A TensorFlow attribute value: one of an integer, float, bool, string (bytes as UTF-8), type, shape or list.</summary>
public sealed record TfAttribute
{
    public long? Int { get; init; }
    public float? Float { get; init; }
    public bool? Bool { get; init; }
    public string? String { get; init; }
    public string? Type { get; init; }
    /// <summary>A shape (a Placeholder's), −1 for an unknown dimension.</summary>
    public long[]? Shape { get; init; }
    public long[]? Ints { get; init; }
    public float[]? Floats { get; init; }
    public string[]? Strings { get; init; }
}
