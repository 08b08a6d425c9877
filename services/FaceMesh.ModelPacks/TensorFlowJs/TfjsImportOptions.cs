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

    /// <summary>
    /// Make the input's height and width symbolic, for a fully convolutional detector run at any input size. The graph
    /// is translated at its declared size; then each ResizeBilinear becomes a resize by its scale factors (an integer
    /// ratio of output to input at the declared size) and each Reshape that flattens the spatial axes infers its first
    /// dimension after the batch (−1). A graph whose shape chains depend on the spatial size some other way is refused.
    /// The caller keeps the input a multiple of the graph's total stride, so every stride-2 step sees an even size as
    /// it did at the declared one (the converted explicit pads assume it).
    /// </summary>
    public bool AnySpatialSize { get; init; }
}
