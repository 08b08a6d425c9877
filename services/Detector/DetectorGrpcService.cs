using FaceMesh.Contracts.V1;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.Detector;

/// <summary>Translates gRPC to the <see cref="FaceFinder"/>; bad images become <c>INVALID_ARGUMENT</c> by the error map in
/// <see cref="DetectorHost"/>.</summary>
public sealed class DetectorGrpcService(DetectorModel model) : DetectorService.DetectorServiceBase
{
    public override async Task<DetectFacesResponse> Detect(DetectFacesRequest request, ServerCallContext context)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        using (var pending = ImageDecoder.Open(request.Image?.Content.ToByteArray() ?? [], model.Limits))
        {
            // The pixels count against the process's decode budget from before decoding until the answer is built.
            IDisposable lease;
            try
            {
                lease = await model.Budget.ReserveAsync(pending.PeakBytes, model.DecodeWait, context.CancellationToken);
            }
            catch (DecodeBudgetExceededException)
            {
                DetectorMetrics.BudgetRefusals.Add(1);
                throw; // RESOURCE_EXHAUSTED with a retry-after-ms trailer (DetectorHost's error map)
            }
            try
            {
                using (lease)
                    return Detect(request, pending, start);
            }
            finally
            {
                LargeImages.Done(pending.PeakBytes);
            }
        }
    }

    /// <summary>The trailer that tells a refused caller when to try again (milliseconds), as the Gateway's rate limit does.</summary>
    public const string RetryAfterTrailer = "retry-after-ms";

    private DetectFacesResponse Detect(DetectFacesRequest request, PendingDecode pending, long start)
    {
        RgbImage image;
        using (var decode = DetectorMetrics.Source.StartActivity("decode"))
        {
            decode?.SetTag("facemesh.image.bytes", request.Image?.Content.Length ?? 0);
            decode?.SetTag("facemesh.image.scale", pending.Scale);
            try
            {
                image = pending.Decode();
            }
            catch (InvalidImageException e)
            {
                decode?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                throw;
            }
        }
        int limit = request.MaxFaces > 0 ? Math.Min(request.MaxFaces, model.MaxFaces) : model.MaxFaces;
        var faces = request.PhotoOfOne && !request.MultiScale ? model.Finder.DetectPhotoOfOne(image).Faces
            : model.Finder.Detect(image, request.MultiScale, maxFaces: limit); // faces beyond the limit are not landmarked
        DetectorMetrics.Duration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        DetectorMetrics.Faces.Record(faces.Count);
        var found = faces.OrderByDescending(f => f.Box.Area).Take(limit).ToArray();
        var kept = found.Select(f => InPhotoPixels(f, 1 / pending.Scale)).ToArray();
        // Liveness on the decoded image, where the boxes are before they are scaled to the photo's pixels.
        var liveness = model.Liveness is { } live && found.Length > 0 ? live.Score(image, found.Select(f => f.Box).ToArray()) : null;
        var response = new DetectFacesResponse
        {
            ImageWidth = pending.OriginalWidth,
            ImageHeight = pending.OriginalHeight,
            PrimaryFace = kept.Length == 0 ? -1 : PrimaryFace.IndexOf(kept, pending.OriginalWidth, pending.OriginalHeight, model.Finder.Options.PrimaryScoreMargin),
        };
        response.Faces.Add(kept.Select(f => ToMessage(f, request.IncludeCrops, model.Finder.Crops)));
        if (liveness is not null)
            for (int i = 0; i < liveness.Length; i++)
            {
                bool isLive = liveness[i] >= model.Liveness!.Threshold;
                response.Faces[i].Liveness = new Liveness
                {
                    Score = liveness[i], Live = isLive, Threshold = model.Liveness.Threshold, ModelId = model.Liveness.ModelId,
                };
                DetectorMetrics.LivenessDecisions.Add(1, new KeyValuePair<string, object?>("decision", isLive ? "live" : "attack"));
            }
        return response;
    }

    /// <summary>A face found in a photo decoded at a reduced scale, with box, landmarks and eye distance in the photo's own
    /// pixels.</summary>
    private static Pipeline.Face InPhotoPixels(Pipeline.Face face, float factor)
    {
        if (factor == 1)
            return face;
        var b = face.Box;
        return face with
        {
            Box = new Pipeline.Detection.FaceBox(b.Left * factor, b.Top * factor, b.Right * factor, b.Bottom * factor),
            Landmarks = face.Landmarks.Select(p => p * factor).ToArray(),
            DenseLandmarks = face.DenseLandmarks?.Select(p => p * factor).ToArray(),
            Quality = face.Quality with { EyeDistance = face.Quality.EyeDistance * factor },
        };
    }

    public static Contracts.V1.Face ToMessage(Pipeline.Face face, bool includeCrop, IReadOnlyList<Pipeline.Alignment.AlignmentSpec> alignments)
    {
        var message = new Contracts.V1.Face
        {
            Box = new Box { Left = face.Box.Left, Top = face.Box.Top, Width = face.Box.Width, Height = face.Box.Height },
            Score = face.Score,
            Landmarks = new Landmarks(),
            Quality = new FaceQuality
            {
                Overall = face.Quality.Overall,
                DetectorScore = face.Quality.DetectorScore,
                EyeDistance = face.Quality.EyeDistance,
                Yaw = face.Quality.Yaw,
                Pitch = face.Quality.Pitch,
                Roll = face.Quality.Roll,
                Sharpness = face.Quality.Sharpness,
            },
        };
        message.Landmarks.Points.Add(face.Landmarks.Select(p => new Point { X = p.X, Y = p.Y }));
        if (includeCrop)
        {
            message.Crops.Add(face.AlignedCrops.Select((c, i) => new AlignedCrop { Width = c.Width, Height = c.Height, Rgb = ByteString.CopyFrom(c.Pixels), Alignment = alignments[i].Key }));
            message.Crop = message.Crops[0];
        }
        return message;
    }
}
