namespace CertLibrary.Identity.Tests;

public sealed class PasswordHashingTests
{
    [Fact]
    public async Task RunAsync_MoreHashesThanThreads_AtMostConcurrencyAtOnceNeverOnThePool()
    {
        var hashing = new PasswordHashing(2);
        var running = 0;
        var maxRunning = 0;
        var onPool = 0;

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => hashing.RunAsync(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                Interlocked.Increment(ref onPool);
            }

            Thread.Sleep(20);
            Interlocked.Decrement(ref running);
            return i;
        }, CancellationToken.None)));

        Assert.Equal(Enumerable.Range(0, 12), results);
        Assert.Equal(2, maxRunning);
        Assert.Equal(0, onPool);
    }

    [Fact]
    public async Task RunAsync_CallerContinues_NotOnTheHashingThread()
    {
        var hashing = new PasswordHashing(1);
        var hashingThread = await hashing.RunAsync(() => Environment.CurrentManagedThreadId, CancellationToken.None);

        Assert.NotEqual(hashingThread, Environment.CurrentManagedThreadId);
    }

    [Fact]
    public async Task RunAsync_HashThrows_CallerGetsTheException()
    {
        var hashing = new PasswordHashing(1);

        await Assert.ThrowsAsync<FormatException>(() => hashing.RunAsync<int>(() => throw new FormatException("bad hash"), CancellationToken.None));
        Assert.Equal(7, await hashing.RunAsync(() => 7, CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_CancelledWhileQueued_NeverHashed()
    {
        var hashing = new PasswordHashing(1);
        using var release = new ManualResetEventSlim();
        var blocking = hashing.RunAsync(() => release.Wait(TimeSpan.FromSeconds(10)), CancellationToken.None);
        using var cancellation = new CancellationTokenSource();
        var ran = false;
        var queued = hashing.RunAsync(() => ran = true, cancellation.Token);

        await cancellation.CancelAsync();
        release.Set();

        Assert.True(await blocking);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.False(ran);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }
}
