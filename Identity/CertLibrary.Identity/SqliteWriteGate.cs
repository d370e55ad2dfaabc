using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CertLibrary.Identity;

/// <summary>
/// On SQLite (one process, one writer at a time) OpenIddict's writes — a token entry per issued token — take turns in
/// process instead of colliding on the file lock: Microsoft.Data.Sqlite answers a busy database by sleeping and retrying,
/// which under concurrent grants costs seconds per request. PostgreSQL needs no gate.
/// </summary>
internal sealed class SqliteWriteGate : SaveChangesInterceptor
{
    public static readonly SqliteWriteGate Instance = new();

    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteWriteGate()
    {
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        return result;
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        _gate.Wait();
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        _gate.Release();
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        _gate.Release();
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => _gate.Release();

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        _gate.Release();
        return Task.CompletedTask;
    }

    public override void SaveChangesCanceled(DbContextEventData eventData) => _gate.Release();

    public override Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        _gate.Release();
        return Task.CompletedTask;
    }
}
