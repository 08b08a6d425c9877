namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>What <see cref="TfToOnnx"/> writes.</summary>
public sealed record TfjsImportOptions
{
    /// <summary>The graph outputs, as TensorFlow node names; null takes the model's signature outputs.</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>
    /// Also make every node's value a graph output, in TensorFlow's layout and named as the node: for
    /// checking the conversion op by op against the reference interpreter. Not for serving.
    /// </summary>
    public bool ExposeEveryNode { get; init; }
}
