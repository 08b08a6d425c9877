using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Matcher;

/// <summary>
/// The Matcher's metrics (meter <c>FaceMesh.Matcher</c>) and its search span. One meter per process
/// (<see cref="Shared"/>): OpenTelemetry merges same-named instruments of every meter in a process into one
/// stream and drops the stream when any of those meters is disposed, so a Matcher stopped in a process that
/// hosts another (tests, the single-process mode) would otherwise take the other's metrics with it.
/// Labels are bounded: event type, error type; no tenant, gallery, subject or face ids.
/// </summary>
public sealed class MatcherMetrics
{
    public const string MeterName = FaceMesh.Hosting.ServiceDefaults.MeterPrefix + "Matcher";
    private readonly Meter _meter = new(MeterName);
    private readonly ConcurrentDictionary<EmbeddedVectorStore, byte> _stores = new();
    private readonly ConcurrentDictionary<StoreRetry, byte> _retries = new();

    public static MatcherMetrics Shared { get; } = new();

    public static readonly ActivitySource Source = new(MeterName);

    private MatcherMetrics()
    {
        Lag = _meter.CreateHistogram<double>("facemesh.enrollment.lag", "s",
            "From the Gateway accepting an enrollment to its face being searchable here.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        Events = _meter.CreateCounter<long>("facemesh.enrollment.events", "{event}", "Enrollment events applied, by type.");
        Failures = _meter.CreateCounter<long>("facemesh.enrollment.failures", "{event}", "Enrollment event deliveries that failed, by type and error.");
        SearchDuration = _meter.CreateHistogram<double>("facemesh.matcher.search.duration", "s", "Time of one search call (all its queries).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        StoreRetries = _meter.CreateCounter<long>("facemesh.enrollment.store.retries", "{attempt}",
            "Attempts to apply an enrollment event that failed on a transient store fault and are retried, by type and error.");
        _meter.CreateObservableGauge("facemesh.matcher.store.available", () => _retries.Keys.Any(r => r.OutageSeconds is not null) ? 0 : 1, "1",
            "1 while enrollment events reach the store; 0 while the store fails and events wait in the queue.");
        _meter.CreateObservableGauge("facemesh.matcher.store.outage", () => _retries.Keys.Select(r => r.OutageSeconds ?? 0).DefaultIfEmpty(0).Max(), "s",
            "How long the store has been failing (0 while it is up).");
        _meter.CreateObservableGauge("facemesh.matcher.galleries", () => Totals().Galleries, "{gallery}", "Galleries held by this Matcher's embedded store.");
        _meter.CreateObservableGauge("facemesh.matcher.faces", () => Totals().Faces, "{face}", "Faces held by this Matcher's embedded store.");
        _meter.CreateObservableGauge("facemesh.matcher.subjects", () => Totals().Subjects, "{subject}", "Subjects held by this Matcher's embedded store.");
        _meter.CreateObservableGauge("facemesh.people.faces", () => Totals().PeopleFaces, "{face}",
            "Faces added to people (AddPhotos) held by this Matcher's embedded store, waiting ones included.");
        _meter.CreateObservableGauge("facemesh.people.people", () => Totals().People, "{person}",
            "People (groups of faces) held by this Matcher's embedded store.");
        PeopleChanges = _meter.CreateCounter<long>("facemesh.people.changes", "{change}",
            "People changes applied (add, merge, move, reject, name, delete, regroup) or refused, by type and outcome.");
        RegroupDuration = _meter.CreateHistogram<double>("facemesh.people.regroup.duration", "s",
            "Time to group a gallery's faces again from scratch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });
    }

    public Counter<long> PeopleChanges { get; }
    public Histogram<double> RegroupDuration { get; }

    public Histogram<double> Lag { get; }
    public Counter<long> Events { get; }
    public Counter<long> Failures { get; }
    public Counter<long> StoreRetries { get; }
    public Histogram<double> SearchDuration { get; }

    /// <summary>Counts this store's galleries in the size gauges until <see cref="Forget"/>.</summary>
    public void Observe(EmbeddedVectorStore store) => _stores[store] = 0;

    public void Forget(EmbeddedVectorStore store) => _stores.TryRemove(store, out _);

    /// <summary>Counts this Matcher's store outages in the availability gauges (kept for the process's life: one a Matcher).</summary>
    public void Observe(StoreRetry retry) => _retries[retry] = 0;

    /// <summary>The galleries' sizes; a gallery's people space (<see cref="People.PeopleBook.SpaceOf"/>) counts as its people.</summary>
    private (long Galleries, long Faces, long Subjects, long PeopleFaces, long People) Totals()
    {
        long galleries = 0, faces = 0, subjects = 0, peopleFaces = 0, people = 0;
        foreach (var store in _stores.Keys)
            foreach (var gallery in store.Catalog.All)
            {
                var info = gallery.Info();
                if (People.PeopleBook.IsPeopleSpace(info.Key.Gallery))
                {
                    peopleFaces += info.Faces;
                    people += info.Subjects;
                    continue;
                }
                galleries++;
                faces += info.Faces;
                subjects += info.Subjects;
            }
        return (galleries, faces, subjects, peopleFaces, people);
    }
}
