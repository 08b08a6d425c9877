using System.Globalization;
using FaceMesh.Contracts.V1;
using Grpc.Core;

namespace FaceMesh.Gateway;

/// <summary>
/// The Embedder's model id and calibrated thresholds, asked once and kept until an embedding of another model
/// shows that the Embedder now serves another pack (a rolling update): then asked again, so a decision is never
/// made at the old model's threshold. A decision at a false-accept rate the model is not calibrated for is
/// refused, naming the levels that are.
/// </summary>
public sealed class ModelThresholds(EmbedderService.EmbedderServiceClient embedder)
{
    private volatile ModelInfo? _model;

    /// <summary>The Embedder's model as last asked (GetInfo shows it; decisions are made at its thresholds).</summary>
    /// <param name="seenModelId">The model id of an embedding just made (null before any): another id than the cached one refreshes
    /// it.</param>
    public async Task<ModelInfo> ModelAsync(CallOptions call, string? seenModelId = null)
    {
        var model = _model;
        if (model is null || (seenModelId is not null && seenModelId != model.ModelId))
            _model = model = await embedder.GetModelAsync(new GetModelRequest(), call);
        return model;
    }

    /// <summary>The threshold for a requested FAR (0: the fallback), refused when the model is not calibrated for it.</summary>
    public async Task<(double Far, float Threshold, string ModelId)> ForAsync(double requested, double fallback, CallOptions call,
        string? seenModelId = null)
    {
        var model = await ModelAsync(call, seenModelId);
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
