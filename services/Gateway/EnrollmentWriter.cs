using FaceMesh.Contracts.V1;
using Google.Protobuf;
using FaceMesh.Messaging;
using FaceMesh.Messaging.V1;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway;

/// <summary>
/// How the Gateway changes galleries. Without a bus it calls the Matcher (UpsertFaces, RemoveSubject) and
/// the change is applied when the call returns. With a bus it publishes <see cref="FaceEnrolled"/> and
/// <see cref="SubjectDeleted"/> and answers once the broker has confirmed them (publisher confirms), so an
/// acknowledged enrollment is never lost; a broker that does not confirm in time is <c>UNAVAILABLE</c>.
/// Read-your-writes is the Matcher's AwaitFaces.
/// </summary>
public sealed class EnrollmentWriter(
    MatcherService.MatcherServiceClient matcher,
    IOptions<GatewayOptions> gateway,
    IOptions<BusOptions> busOptions,
    IServiceProvider services)
{
    private readonly IBus? _bus = busOptions.Value.Enabled ? services.GetRequiredService<IBus>() : null;
    // A gallery stays bound to its first model, so a binding once seen is kept (one Matcher call per gallery, not per enrollment).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), string> _models = new();
    private readonly BusOptions _busOptions = busOptions.Value;

    public bool UsesBus => _bus is not null;

    /// <summary>Stores the faces; returns whether they are searchable now.</summary>
    public async Task<bool> Enroll(GalleryRef gallery, string subjectId, IReadOnlyList<StoredFace> faces, bool wait, CallOptions call)
    {
        if (_bus is null)
        {
            var upsert = new UpsertFacesRequest { Gallery = gallery, SubjectId = subjectId };
            upsert.Faces.Add(faces);
            await matcher.UpsertFacesAsync(upsert, call);
            return true;
        }
        await CheckModel(gallery, faces[0].Embedding.ModelId, call);
        var now = DateTimeOffset.UtcNow;
        await Publish(faces.Select(f => new FaceEnrolled
        {
            Tenant = gallery.Tenant, Gallery = gallery.Gallery, SubjectId = subjectId, FaceId = f.FaceId,
            Embedding = f.Embedding.Values.ToArray(), ModelId = f.Embedding.ModelId, Quality = f.Quality, EnrolledAt = now,
        }).ToArray(), "enrollment", call);
        return wait && await Await(gallery, faces.Select(f => f.FaceId), absent: false, call);
    }

    /// <summary>Erases the subject; returns how many faces it had.</summary>
    public async Task<int> Delete(GalleryRef gallery, string subjectId, CallOptions call)
    {
        if (_bus is null)
            return (await matcher.RemoveSubjectAsync(new RemoveSubjectRequest { Gallery = gallery, SubjectId = subjectId }, call)).DeletedFaces;
        var stored = await matcher.FindSubjectAsync(new FindSubjectRequest { Gallery = gallery, SubjectId = subjectId }, call); // NOT_FOUND stops here
        await Publish([new SubjectDeleted { Tenant = gallery.Tenant, Gallery = gallery.Gallery, SubjectId = subjectId, DeletedAt = DateTimeOffset.UtcNow }], "deletion", call);
        if (!await Await(gallery, stored.FaceIds, absent: true, call))
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"The deletion of subject '{subjectId}' is queued but was not applied before the deadline; it will be. Check with GetSubject."));
        return stored.FaceIds.Count;
    }

    /// <summary>
    /// Changes a gallery's people: without a bus through the Matcher's ChangePeople, applied when it returns; with one, checked
    /// by the Matcher first (a refusal comes back at once), published as <see cref="PeopleChanged"/>, and, when
    /// <paramref name="wait"/>, awaited until the Matcher applied it. Returns what applying it answered, or null when it is
    /// accepted but not yet applied (not waited for, or not applied by the deadline).
    /// </summary>
    public async Task<PeopleChangeResponse?> ChangePeople(PeopleChange change, bool wait, CallOptions call)
    {
        change.ChangeId = Guid.NewGuid().ToString("N");
        change.AtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (_bus is null)
            return await matcher.ChangePeopleAsync(change, call);
        await matcher.CheckPeopleChangeAsync(change, call);
        await Publish([new PeopleChanged
        {
            Tenant = change.Gallery.Tenant, Gallery = change.Gallery.Gallery, ChangeId = change.ChangeId,
            Change = change.ToByteArray(), ChangedAt = DateTimeOffset.UtcNow,
        }], "people change", call);
        if (!wait)
            return null;
        var awaited = new AwaitPeopleChangeRequest { Gallery = change.Gallery, ChangeId = change.ChangeId };
        var answer = await matcher.AwaitPeopleChangeAsync(awaited, call.WithDeadline(WaitDeadline(call)));
        if (!answer.Done)
            return null;
        if (answer.Result.ErrorCode != 0)
            throw new RpcException(new Status((StatusCode)answer.Result.ErrorCode, answer.Result.Error));
        return answer.Result;
    }

    /// <summary>
    /// A gallery holds one model's embeddings: with events the Matcher applies a change after the caller has its
    /// answer, so the binding is checked here first. The Matcher answers (its own FAILED_PRECONDITION, passed on as
    /// is) unless this Gateway already knows the gallery is bound to this very model.
    /// </summary>
    private async Task CheckModel(GalleryRef gallery, string modelId, CallOptions call)
    {
        var key = (gallery.Tenant, gallery.Gallery);
        if (_models.TryGetValue(key, out var known) && known == modelId)
            return;
        var bound = (await matcher.CheckModelAsync(new CheckModelRequest { Gallery = gallery, ModelId = modelId }, call)).BoundModelId;
        if (bound.Length > 0)
            _models[key] = bound; // a new gallery (empty) is bound by its first face
    }

    private async Task Publish<T>(IReadOnlyList<T> events, string what, CallOptions call) where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_busOptions.PublishTimeoutSeconds));
        try
        {
            // Each Publish completes when the broker has confirmed the message (publisher confirms).
            await Task.WhenAll(events.Select(e => _bus!.Publish(e, timeout.Token)));
        }
        catch (Exception e) when (!call.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"The message broker did not confirm the {what} ({(e is OperationCanceledException ? $"no confirmation within {_busOptions.PublishTimeoutSeconds:0.#} s" : e.Message)}). " +
                "It may or may not have been applied; retry the call: the same photos give the same face ids, so a retry never enrolls a face twice."));
        }
    }

    private async Task<bool> Await(GalleryRef gallery, IEnumerable<string> faceIds, bool absent, CallOptions call)
    {
        var request = new AwaitFacesRequest { Gallery = gallery, Absent = absent };
        request.FaceIds.Add(faceIds);
        var answer = await matcher.AwaitFacesAsync(request, call.WithDeadline(WaitDeadline(call)));
        return answer.Done;
    }

    /// <summary>How long a call waits for the Matcher to apply a change: the caller's deadline, at most the Enrollment wait
    /// limit.</summary>
    private DateTime WaitDeadline(CallOptions call)
    {
        var limit = DateTime.UtcNow.AddSeconds(gateway.Value.EnrollmentWaitSeconds);
        return call.Deadline is { } d && d < limit ? d : limit;
    }
}
