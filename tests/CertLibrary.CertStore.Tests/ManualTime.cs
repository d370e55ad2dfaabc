namespace CertLibrary.CertStore.Tests;

/// <summary>A wall clock that moves only when a test advances it (the monotonic timestamp stays real).</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _nowTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _nowTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _nowTicks, by.Ticks);
}
