using FaceMesh.Contracts.V1;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Embedding;
using Grpc.Core;

namespace FaceMesh.Embedder;

/// <summary>Translates gRPC to the <see cref="EmbeddingBatcher"/>; its exceptions become status codes by the error map in
/// <see cref="EmbedderHost"/>.</summary>
public sealed class EmbedderGrpcService(EmbedderModel model) : EmbedderService.EmbedderServiceBase
{
    public override async Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        if (request.Crops.Count > 0 && request.Faces.Count > 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Send the faces either as crops (one each) or as faces (all their crops), not both."));
        IReadOnlyList<RgbImage>[] faces = request.Faces.Count > 0
            ? request.Faces.Select((f, i) => Needed(f.Crops, $"faces[{i}]")).ToArray()
            : request.Crops.Select((c, i) => Needed([c], $"crops[{i}]")).ToArray();
        bool flip = request.HasFlip ? request.Flip : model.FlipAugmentation;
        var vectors = await model.Batcher.EmbedFacesAsync(faces, flip, context.CancellationToken);
        var response = new EmbedResponse();
        foreach (var vector in vectors)
            response.Embeddings.Add(new Contracts.V1.Embedding { Values = { vector }, ModelId = model.Embedder.ModelId });
        return response;
    }

    public override Task<ModelInfo> GetModel(GetModelRequest request, ServerCallContext context)
    {
        var info = new ModelInfo
        {
            ModelId = model.Embedder.ModelId,
            Dimension = model.Embedder.Dimension,
            ExecutionProvider = model.Embedder.Provider.ToString().ToLowerInvariant(),
            Pack = model.PackName,
            PackDescription = model.PackDescription,
        };
        info.Thresholds.Add(model.Thresholds.Points.Select(p => new FarThreshold { Far = p.Far, Threshold = p.Threshold }));
        return Task.FromResult(info);
    }

    /// <summary>
    /// The crops of one face that this pack's models take, in the pack's order: chosen by their alignment when the
    /// Detector named it (its pack may make more crops than this one needs), else taken as they come.
    /// </summary>
    private IReadOnlyList<RgbImage> Needed(IReadOnlyList<AlignedCrop> crops, string field)
    {
        if (crops.Any(c => c.Alignment.Length == 0))
            return crops.Select((c, j) => ToImage(c, $"{field}.crops[{j}]")).ToArray();
        return model.Embedder.Crops.Select(spec =>
        {
            int j = crops.ToList().FindIndex(c => c.Alignment == spec.Key);
            if (j < 0)
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"{field} has no crop aligned as this Embedder's model needs ({spec}); it has {crops.Count} other crop(s). " +
                    "Run the Detector with a pack whose embedders take the same crops as this Embedder's (the same pack, or one derived from it)."));
            return ToImage(crops[j], $"{field}.crops[{j}]");
        }).ToArray();
    }

    private static RgbImage ToImage(AlignedCrop crop, string field)
    {
        if (crop.Width <= 0 || crop.Height <= 0 || crop.Rgb.Length != crop.Width * crop.Height * 3)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"{field} declares {crop.Width}x{crop.Height} but carries {crop.Rgb.Length} bytes; an aligned crop is width × height × 3 RGB bytes."));
        return new RgbImage(crop.Width, crop.Height, crop.Rgb.ToByteArray());
    }
}
