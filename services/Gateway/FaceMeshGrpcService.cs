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
        if (request.RequireLive)
            RequireLive(probe, "probe", "compared");
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
            if (request.RequireLive)
                RequireLive(face, $"photos[{p}]", "enrolled");
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
    private static string FaceId(GalleryRef gallery, string subjectId, ByteString photo, int faceIndex) =>
        HashId($"{gallery.Tenant}\n{gallery.Gallery}\n{subjectId}\n{faceIndex}\n", photo);

    /// <summary>A people face id names the face of this photo (the caller's id and the bytes) in this gallery: a retried AddPhotos
    /// gives the same ids.</summary>
    private static string PeopleFaceId(GalleryRef gallery, string photoId, ByteString photo, int faceIndex) =>
        HashId($"people\n{gallery.Tenant}\n{gallery.Gallery}\n{photoId}\n{faceIndex}\n", photo);

    private static string HashId(string names, ByteString photo)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(names));
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

    public override async Task<ServerInfo> GetInfo(GetInfoRequest request, ServerCallContext context) => new()
    {
        Version = GatewayVersion.Informational,
        Model = await thresholds.ModelAsync(Call(context)),
    };

    // People: the Gateway detects and embeds, the Matcher groups (services/Matcher/People). Each correction is one
    // PeopleChange, applied before the call returns, whether it travels as an event or not.

    public override async Task<AddPhotosResponse> AddPhotos(AddPhotosRequest request, ServerCallContext context)
    {
        var call = Call(context);
        RequestChecks.Check(request, _options);
        var gallery = Gallery(context, request.Gallery);
        var found = new List<(int Photo, int Index, Contracts.V1.Face Face)>();
        for (int p = 0; p < request.Photos.Count; p++)
        {
            if (request.Photos[p].Image is null)
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"photos[{p}].image is missing: send the photo's bytes."));
            var detected = await detector.DetectAsync(new DetectFacesRequest { Image = request.Photos[p].Image, IncludeCrops = true },
                call);
            found.AddRange(detected.Faces.Select((face, i) => (p, i, face)));
        }
        var response = new AddPhotosResponse { Grouped = true };
        response.Photos.Add(request.Photos.Select(p => new AddedPhoto { PhotoId = p.PhotoId }));
        if (found.Count == 0)
            return response; // photos without a face: nothing to group
        var embeddings = await EmbedInBatches(found.Select(f => f.Face).ToArray(), call);
        var (_, threshold, model) = await thresholds.ForAsync(_options.PeopleFar, _options.PeopleFar, call, embeddings[0].ModelId);
        response.ModelId = model;
        var add = new AddPeopleFaces { EdgeThreshold = threshold, LinkageThreshold = threshold };
        for (int i = 0; i < found.Count; i++)
        {
            var (p, index, face) = found[i];
            var photo = request.Photos[p];
            string faceId = PeopleFaceId(gallery, photo.PhotoId, photo.Image.Content, index);
            add.Faces.Add(new PeopleFace
            {
                FaceId = faceId, PhotoId = photo.PhotoId, Box = face.Box, Quality = face.Quality.Overall,
                Embedding = embeddings[i]
            });
            response.Photos[p].Faces.Add(new PhotoFace { FaceId = faceId, Face = WithoutCrop(face) });
        }
        var applied = await enrollment.ChangePeople(new PeopleChange { Gallery = gallery, Add = add }, request.WaitUntilGrouped
            || !enrollment.UsesBus, call);
        response.Grouped = applied is not null;
        if (applied is not null)
            foreach (var face in response.Photos.SelectMany(p => p.Faces))
                face.PersonId = applied.FacePersons.GetValueOrDefault(face.FaceId, "");
        return response;
    }

    public override async Task<ListPeopleResponse> ListPeople(ListPeopleRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return await matcher.PagePeopleAsync(new PagePeopleRequest
        {
            Gallery = Gallery(context, request.Gallery), PageSize = request.PageSize, PageToken = request.PageToken,
            IncludeSingleFaces = request.IncludeSingleFaces,
        }, Call(context));
    }

    public override async Task<Person> GetPerson(GetPersonRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return await matcher.FindPersonAsync(new FindPersonRequest
        {
            Gallery = Gallery(context, request.Gallery),
            PersonId = request.PersonId
        }, Call(context));
    }

    public override async Task<PhotoPeople> GetPhotoPeople(GetPhotoPeopleRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return await matcher.FindPhotoPeopleAsync(new FindPhotoPeopleRequest
        {
            Gallery = Gallery(context, request.Gallery),
            PhotoId = request.PhotoId
        }, Call(context));
    }

    public override Task<Person> MergePeople(MergePeopleRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        var change = new PeopleChange
        {
            Gallery = Gallery(context, request.Gallery),
            Merge = new MergePeopleChange { PersonId = request.PersonId }
        };
        change.Merge.OtherPersonIds.Add(request.OtherPersonIds);
        return Correct(change, "merge", Call(context));
    }

    public override Task<Person> MoveFace(MoveFaceRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return Correct(new PeopleChange
        {
            Gallery = Gallery(context, request.Gallery), Move = new MoveFaceChange { FaceId = request.FaceId, PersonId = request.PersonId },
        }, "move", Call(context));
    }

    public override Task<Person> NotThisPerson(NotThisPersonRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return Correct(new PeopleChange
        {
            Gallery = Gallery(context, request.Gallery), Reject = new RejectFaceChange
            {
                PersonId = request.PersonId,
                FaceId = request.FaceId
            },
        }, "\"not this person\"", Call(context));
    }

    public override Task<Person> NamePerson(NamePersonRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        return Correct(new PeopleChange
        {
            Gallery = Gallery(context, request.Gallery), Name = new NamePersonChange
            {
                PersonId = request.PersonId,
                SubjectId = request.SubjectId
            },
        }, "name", Call(context));
    }

    public override async Task<DeletePersonResponse> DeletePerson(DeletePersonRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        var change = new PeopleChange
        {
            Gallery = Gallery(context, request.Gallery),
            Delete = new DeletePersonChange { PersonId = request.PersonId }
        };
        var applied = await Applied(change, "deletion", Call(context));
        return new DeletePersonResponse { DeletedFaces = applied.DeletedFaces };
    }

    public override async Task<RegroupPeopleResponse> RegroupPeople(RegroupPeopleRequest request, ServerCallContext context)
    {
        RequestChecks.Check(request, _options);
        var applied = await Applied(new PeopleChange { Gallery = Gallery(context, request.Gallery), Regroup = new() }, "regrouping",
            Call(context));
        return applied.Regrouped;
    }

    /// <summary>Applies a correction and answers with the person it leaves (one the face left may have no faces left).</summary>
    private async Task<Person> Correct(PeopleChange change, string what, CallOptions call)
    {
        var applied = await Applied(change, what, call);
        try
        {
            return await matcher.FindPersonAsync(new FindPersonRequest { Gallery = change.Gallery, PersonId = applied.PersonId }, call);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return new Person { PersonId = applied.PersonId };
        }
    }

    private async Task<PeopleChangeResponse> Applied(PeopleChange change, string what, CallOptions call) =>
        await enrollment.ChangePeople(change, wait: true, call)
        ?? throw new RpcException(new Status(StatusCode.DeadlineExceeded,
            $"The {what} is queued but was not applied before the deadline; it will be. Check with ListPeople or GetPerson."));

    /// <summary>The faces' embeddings, 64 faces per Embedder call (a crowd of photos would not fit in one message).</summary>
    private async Task<IReadOnlyList<Contracts.V1.Embedding>> EmbedInBatches(IReadOnlyList<Contracts.V1.Face> faces, CallOptions call)
    {
        var all = new List<Contracts.V1.Embedding>(faces.Count);
        foreach (var batch in faces.Chunk(64))
            all.AddRange(await Embed(batch, call));
        return all;
    }

    /// <summary>require_live: the face must have been judged live by the Detector's liveness model, which must be there.</summary>
    private static void RequireLive(Contracts.V1.Face face, string what, string verb)
    {
        if (face.Liveness is null)
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"require_live is set, but the Detector has no liveness model (Detector:LivenessPack); nothing was {verb}. " +
                "Configure a liveness pack on the Detector, or leave require_live unset."));
        if (!face.Liveness.Live)
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"{what}: the face was not judged live (liveness {face.Liveness.Score:F2}, below the threshold " +
                $"{face.Liveness.Threshold:F2} of {face.Liveness.ModelId}): it may be a printed photo held to the camera. " +
                $"Nothing was {verb}; capture the person in front of the camera."));
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
