using System.Collections.Concurrent;
using FaceMesh.Matching;

namespace FaceMesh.Matcher;

/// <summary>
/// Wakes whoever waits for faces (read-your-writes) when this Matcher applies a change: a waiter for a face
/// is woken when that face is stored (not by every other enrollment, so thousands of waiters cost nothing
/// per event); waiters for deletions are woken by any deletion. Changes made by another replica (a shared
/// Qdrant store) are seen by the waiters' periodic re-check.
/// </summary>
public sealed class GalleryChanges
{
    private readonly ConcurrentDictionary<(GalleryKey, string), TaskCompletionSource> _faces = new();
    private TaskCompletionSource _deletion = NewSignal();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Stored(GalleryKey gallery, IEnumerable<string> faceIds)
    {
        foreach (var faceId in faceIds)
            if (_faces.TryRemove((gallery, faceId), out var waiter))
                waiter.TrySetResult();
    }

    public void Deleted() => Interlocked.Exchange(ref _deletion, NewSignal()).TrySetResult();

    /// <summary>Completes when one of the faces is stored here, or after <paramref name="recheck"/>.</summary>
    public Task NextStored(GalleryKey gallery, IEnumerable<string> faceIds, TimeSpan recheck, CancellationToken cancellation) =>
        Task.WhenAny(faceIds.Select(id => _faces.GetOrAdd((gallery, id), _ => NewSignal()).Task).Append(Task.Delay(recheck, cancellation)));

    /// <summary>Completes at the next deletion here, or after <paramref name="recheck"/>.</summary>
    public Task NextDeletion(TimeSpan recheck, CancellationToken cancellation) =>
        Task.WhenAny(Volatile.Read(ref _deletion).Task, Task.Delay(recheck, cancellation));

    /// <summary>Forgets waiters that gave up (their faces never came here).</summary>
    public void Forget(GalleryKey gallery, IEnumerable<string> faceIds)
    {
        foreach (var faceId in faceIds)
            _faces.TryRemove((gallery, faceId), out _);
    }
}
