using System.Globalization;
using FaceMesh.Contracts.V1;
using Grpc.Core;

namespace FaceMesh.Gateway;

/// <summary>
/// The Embedder's model id and calibrated thresholds, asked once and kept; a decision at a false-accept
/// rate the model is not calibrated for is refused, naming the levels that are.
/// </summary>
public sealed class ModelThresholds(Contracts.V1.Embedder.EmbedderClient embedder)
{
    private ModelInfo? _model;

    public async Task<(double Far, float Threshold, string ModelId)> ForAsync(double requested, double fallback, CallOptions call)
    {
        var model = _model ??= await embedder.GetModelAsync(new GetModelRequest(), call);
        double far = requested == 0 ? fallback : requested;
        foreach (var t in model.Thresholds)
            if (Math.Abs(t.Far - far) <= far * 1e-6)
                return (far, t.Threshold, model.ModelId);
        throw new RpcException(new Status(StatusCode.InvalidArgument, model.Thresholds.Count == 0
            ? $"Model {model.ModelId} has no calibrated thresholds; calibrate its pack (tools/facemesh calibrate) before asking for decisions."
            : $"far {far.ToString("G", CultureInfo.InvariantCulture)} is not calibrated for model {model.ModelId}; choose one of " +
              string.Join(", ", model.Thresholds.Select(t => t.Far.ToString("G", CultureInfo.InvariantCulture))) + "."));
    }
}
