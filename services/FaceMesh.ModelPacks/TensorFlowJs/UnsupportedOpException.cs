namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>A graph uses an op (or an op's setting) that the importer does not translate; the message names the op, the node and the
/// file.</summary>
public sealed class UnsupportedOpException(string modelFile, string node, string op, string? detail = null)
    : ModelFileException(detail is null
        ? $"{modelFile}: node '{node}' uses the op '{op}', which the FaceMesh TensorFlow.js importer does not translate. Supported ops: {string.Join(", ", TfToOnnx.SupportedOps)}."
        : $"{modelFile}: node '{node}' ({op}): {detail}")
{
    public string ModelFile { get; } = modelFile;
    public string Node { get; } = node;
    public string Op { get; } = op;
}
