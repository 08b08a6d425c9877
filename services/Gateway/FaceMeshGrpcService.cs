using FaceMesh.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using FaceMesh.Gateway.Security;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway;

/// <summary>
/// FaceMesh's public API. Each call is orchestrated across the fleet: the photo goes to the Detector
/// once; only aligned crops go to the Embedder and only embeddings to the Matcher. The caller's deadline
/// and cancellation go with every internal call; internal errors keep their status code and message.
/// </summary>
public sealed class FaceMeshGrpcService(
    DetectorService.DetectorServiceClient detector,
    EmbedderService.EmbedderServiceClient embedder,
    MatcherService.MatcherServiceClient matcher,
    ModelThresholds thresholds,
    EnrollmentWriter enrollment,
    IOptions<GatewayOptions> options) : FaceMeshApi.FaceMeshApiBase
{
    private readonly GatewayOptions _options = options.Value;

    public override async Task<VerifyResponse> Verify(VerifyRequest request, ServerCallContext context)
    {
        var call = Call(context);
        var (far, threshold, model) = await thresholds.ForAsync(request.Far, _options.DefaultFar, call);
        // The reference photo is detected while the probe is: the two Detector calls run side by side.
        var probeTask = PrimaryFace(request.Probe, "probe", call);
        var referenceTask = request.ReferenceCase == VerifyRequest.ReferenceOneofCase.ReferenceImage
            ? PrimaryFace(request.ReferenceImage, "reference_image", call)
            : Task.FromResult<Contracts.V1.Face?>(null);
        var probe = await probeTask;
        var referenceFace = await referenceTask;
        var response = new VerifyResponse { Far = far, Threshold = threshold, ModelId = model };
        if (probe is null)
            return response; // no face in the probe: a normal answer, no match
        response.ProbeFace = WithoutCrop(probe);
        switch (request.ReferenceCase)
        {
            case VerifyRequest.ReferenceOneofCase.ReferenceImage:
                var reference = referenceFace;
                if (reference is null)
                    return response;
                response.ReferenceFace = WithoutCrop(reference);
                var both = await Embed([probe, reference], call);
                response.Score = Dot(both[0], both[1]);
                (response.Far, response.Threshold, response.ModelId) = (far, threshold, model) = await thresholds.ForAsync(request.Far, _options.DefaultFar, call, both[0].ModelId);
                break;
            case VerifyRequest.ReferenceOneofCase.ReferenceSubject:
                RequestChecks.Check(request, _options);
                var embedding = (await Embed([probe], call))[0];
                (response.Far, response.Threshold, response.ModelId) = (far, threshold, model) = await thresholds.ForAsync(request.Far, _options.DefaultFar, call, embedding.ModelId);
                var compared = await matcher.CompareAsync(new CompareRequest
                {
                    Gallery = Gallery(context, request.ReferenceSubject.Gallery), SubjectId = request.ReferenceSubject.SubjectId, Embedding = embedding,
                }, call);
                response.Score = compared.Score;
                response.ReferenceFaceId = compared.FaceId;
                break;
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Set reference_image or reference_subject: what should the probe be compared with?"));
        }
        response.Match = response.Score >= threshold;
        return response;
    }

    public override async Task<IdentifyResponse> Identify(IdentifyRequest request, ServerCallContext context)
    {
        var call = Call(context);
        var (far, threshold, model) = await thresholds.ForAsync(request.Far, _options.DefaultFar, call);
        int topK = RequestChecks.TopK(request.TopK, _options);
        var detected = await detector.DetectAsync(new DetectFacesRequest { Image = request.Image, IncludeCrops = true, MultiScale = request.MultiScale }, call);
        var response = new IdentifyResponse { Far = far, Threshold = threshold, ModelId = model };
        if (detected.Faces.Count == 0)
            return response;
        var embeddings = await Embed(detected.Faces, call);
        (response.Far, response.Threshold, response.ModelId) = (far, threshold, model) = await thresholds.ForAsync(request.Far, _options.DefaultFar, call, embeddings[0].ModelId);
        var search = new SearchRequest { Gallery = Gallery(context, request.Gallery), TopK = topK };
        search.Queries.Add(embeddings);
        var found = await matcher.SearchAsync(search, call);
        for (int i = 0; i < detected.Faces.Count; i++)
        {
            var face = new IdentifiedFace { Face = WithoutCrop(detected.Faces[i]) };
            face.Candidates.Add(found.Results[i].Matches.Select(m => new Candidate { SubjectId = m.SubjectId, Score = m.Score, FaceId = m.FaceId }));
            face.Match = face.Candidates.Count > 0 && face.Candidates[0].Score >= threshold;
            response.Faces.Add(face);
        }
        return response;
    }

    public override async Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var call = Call(context);
        RequestChecks.Check(request, _options);
        var chosen = new List<(Contracts.V1.Face Face, bool LowQuality, int Photo, int Index)>();
        for (int p = 0; p < request.Photos.Count; p++)
        {
            var photo = request.Photos[p];
            var detected = await detector.DetectAsync(new DetectFacesRequest { Image = photo.Image, IncludeCrops = true, PhotoOfOne = true }, call);
            if (detected.Faces.Count == 0)
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"photos[{p}] shows no face; nothing was enrolled. Send a photo where the face is visible."));
            int index;
            if (photo.HasFaceIndex)
            {
                index = photo.FaceIndex;
                if (index < 0 || index >= detected.Faces.Count)
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"photos[{p}].face_index is {index}, but the photo has {detected.Faces.Count} faces (0 to {detected.Faces.Count - 1})."));
            }
            else if (detected.Faces.Count > 1)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"photos[{p}] shows {detected.Faces.Count} faces; name the one to enroll with face_index (Detect lists them). Nothing was enrolled."));
            }
            else
            {
                index = 0;
            }
            var face = detected.Faces[index];
            bool low = face.Quality.Overall < _options.MinEnrollQuality;
            if (low && _options.RefuseLowQuality)
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"photos[{p}]: the face's quality is {face.Quality.Overall:F2}, below the enrollment minimum {_options.MinEnrollQuality:F2} " +
                    $"(eyes {face.Quality.EyeDistance:F0} px apart, yaw {face.Quality.Yaw:F0}°, sharpness {face.Quality.Sharpness:F2}). Nothing was enrolled; send a sharper, more frontal, larger face."));
            chosen.Add((face, low, p, index));
        }
        var embeddings = await Embed(chosen.Select(c => c.Face).ToArray(), call);
        var gallery = Gallery(context, request.Gallery);
        var faces = new List<StoredFace>();
        var response = new EnrollResponse { ModelId = embeddings[0].ModelId };
        for (int i = 0; i < chosen.Count; i++)
        {
            var faceId = FaceId(gallery, request.SubjectId, request.Photos[chosen[i].Photo].Image.Content, chosen[i].Index);
            faces.Add(new StoredFace { FaceId = faceId, Embedding = embeddings[i], Quality = chosen[i].Face.Quality.Overall });
            response.Faces.Add(new Contracts.V1.EnrolledFace { FaceId = faceId, Face = WithoutCrop(chosen[i].Face), LowQuality = chosen[i].LowQuality });
        }
        response.Searchable = await enrollment.Enroll(gallery, request.SubjectId, faces, request.WaitUntilSearchable, call);
        return response;
    }

    /// <summary>
    /// A face id names the face of this photo enrolled as this subject in this gallery: a retried enrollment
    /// (after UNAVAILABLE or a lost answer) gives the same id and overwrites the same face.
    /// </summary>
    private static string FaceId(GalleryRef gallery, string subjectId, ByteString photo, int faceIndex)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{gallery.Tenant}\n{gallery.Gallery}\n{subjectId}\n{faceIndex}\n"));
        hash.AppendData(photo.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    public override async Task<DeleteSubjectResponse> DeleteSubject(DeleteSubjectRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return new() { DeletedFaces = await enrollment.Delete(Gallery(context, request.Gallery), request.SubjectId, Call(context)) };
    }

    public override async Task<Subject> GetSubject(GetSubjectRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        var stored = await matcher.FindSubjectAsync(new FindSubjectRequest { Gallery = Gallery(context, request.Gallery), SubjectId = request.SubjectId }, Call(context));
        return new Subject { Gallery = request.Gallery, SubjectId = stored.SubjectId, FaceIds = { stored.FaceIds }, ModelId = stored.ModelId };
    }

    public override async Task<ListSubjectsResponse> ListSubjects(ListSubjectsRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        var page = await matcher.PageSubjectsAsync(new PageSubjectsRequest
        {
            Gallery = Gallery(context, request.Gallery), PageSize = request.PageSize, PageToken = request.PageToken,
        }, Call(context));
        var response = new ListSubjectsResponse { NextPageToken = page.NextPageToken };
        response.Subjects.Add(page.Subjects.Select(s => new Subject { Gallery = request.Gallery, SubjectId = s.SubjectId, FaceIds = { s.FaceIds }, ModelId = s.ModelId }));
        return response;
    }

    public override async Task<ListGalleriesResponse> ListGalleries(ListGalleriesRequest request, ServerCallContext context)
    {
        var galleries = await matcher.ListTenantGalleriesAsync(new ListTenantGalleriesRequest { Tenant = GatewayGuard.CallerOf(context).Tenant }, Call(context));
        var response = new ListGalleriesResponse();
        response.Galleries.Add(galleries.Galleries.Select(g => new Gallery { Name = g.Gallery.Gallery, ModelId = g.ModelId, Subjects = g.Subjects, Faces = g.Faces }));
        return response;
    }

    public override async Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context)
    {
        var detected = await detector.DetectAsync(new DetectFacesRequest { Image = request.Image, MultiScale = request.MultiScale }, Call(context));
        var response = new DetectResponse { ImageWidth = detected.ImageWidth, ImageHeight = detected.ImageHeight };
        response.Faces.Add(detected.Faces);
        return response;
    }

    private async Task<Contracts.V1.Face?> PrimaryFace(Image? image, string field, CallOptions call)
    {
        if (image is null)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} is missing: send the photo's bytes."));
        var detected = await detector.DetectAsync(new DetectFacesRequest { Image = image, IncludeCrops = true, PhotoOfOne = true }, call);
        return detected.PrimaryFace < 0 ? null : detected.Faces[detected.PrimaryFace];
    }

    /// <summary>The faces' embeddings: each face goes with all its crops (one per alignment the pack's embedders take).</summary>
    private async Task<IReadOnlyList<Contracts.V1.Embedding>> Embed(IReadOnlyList<Contracts.V1.Face> faces, CallOptions call)
    {
        var request = new EmbedRequest();
        if (_options.FlipAugmentation is { } flip)
            request.Flip = flip;
        foreach (var face in faces)
            request.Faces.Add(new FaceCrops { Crops = { face.Crops.Count > 0 ? face.Crops : [face.Crop] } });
        return (await embedder.EmbedAsync(request, call)).Embeddings;
    }

    /// <summary>The caller's tenant's gallery of this name: another tenant's gallery of the same name is never reached.</summary>
    private GalleryRef Gallery(ServerCallContext context, string name)
    {
        RequestChecks.Name(name, "gallery", _options);
        return new GalleryRef { Tenant = GatewayGuard.CallerOf(context).Tenant, Gallery = name };
    }

    /// <summary>The caller's deadline (or the default one) and cancellation, for every internal call.</summary>
    private CallOptions Call(ServerCallContext context) => new(
        deadline: context.Deadline == DateTime.MaxValue ? DateTime.UtcNow.AddSeconds(_options.DefaultDeadlineSeconds) : context.Deadline,
        cancellationToken: context.CancellationToken);

    private static Contracts.V1.Face WithoutCrop(Contracts.V1.Face face)
    {
        var copy = face.Clone();
        copy.Crop = null;
        copy.Crops.Clear();
        return copy;
    }

    private static float Dot(Contracts.V1.Embedding a, Contracts.V1.Embedding b) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(a.Values.ToArray().AsSpan(), b.Values.ToArray().AsSpan());
}
