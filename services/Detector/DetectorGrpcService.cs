using FaceMesh.Contracts.V1;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.Detector;

/// <summary>Translates gRPC to the <see cref="FaceFinder"/>, and bad images to <c>INVALID_ARGUMENT</c>.</summary>
public sealed class DetectorGrpcService(DetectorModel model) : Contracts.V1.Detector.DetectorBase
{
    public override Task<DetectFacesResponse> Detect(DetectFacesRequest request, ServerCallContext context)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        RgbImage image;
        using (var decode = DetectorMetrics.Source.StartActivity("decode"))
        {
            decode?.SetTag("facemesh.image.bytes", request.Image?.Content.Length ?? 0);
            try
            {
                image = ImageDecoder.Decode(request.Image?.Content.ToByteArray() ?? [], model.Limits);
            }
            catch (InvalidImageException e)
            {
                decode?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
            }
        }
        IReadOnlyList<Pipeline.Face> faces;
        try
        {
            faces = request.PhotoOfOne && !request.MultiScale ? model.Finder.DetectPhotoOfOne(image).Faces : model.Finder.Detect(image, request.MultiScale);
        }
        catch (Pipeline.Alignment.LandmarkModelException e)
        {
            // The pack's model misbehaves, not the caller's photo: an operator must replace the model files.
            throw new RpcException(new Status(StatusCode.Internal, e.Message));
        }
        DetectorMetrics.Duration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        DetectorMetrics.Faces.Record(faces.Count);
        int limit = request.MaxFaces > 0 ? Math.Min(request.MaxFaces, model.MaxFaces) : model.MaxFaces;
        var kept = faces.OrderByDescending(f => f.Box.Area).Take(limit).ToArray();
        var response = new DetectFacesResponse
        {
            ImageWidth = image.Width,
            ImageHeight = image.Height,
            PrimaryFace = kept.Length == 0 ? -1 : PrimaryFace.IndexOf(kept, image.Width, image.Height, model.Finder.Options.PrimaryScoreMargin),
        };
        response.Faces.Add(kept.Select(f => ToMessage(f, request.IncludeCrops, model.Finder.Crops)));
        return Task.FromResult(response);
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
