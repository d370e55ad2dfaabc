using CertLibrary.CertStore.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CertLibrary.Api.Infrastructure;

/// <summary>RFC 9457 Problem Details with a stable <c>type</c> per error kind.</summary>
public static class Problems
{
    /// <summary>Prefix of every problem <c>type</c>.</summary>
    public const string TypePrefix = "urn:certlib:problem:";

    public static ProblemHttpResult From(CertStoreError error)
    {
        var status = error.Kind switch
        {
            CertStoreErrorKind.Validation => StatusCodes.Status400BadRequest,
            CertStoreErrorKind.Forbidden => StatusCodes.Status403Forbidden,
            CertStoreErrorKind.NotFound => StatusCodes.Status404NotFound,
            _ => StatusCodes.Status409Conflict,
        };
        return Create(status, error.Code, TitleOf(error.Kind), error.Detail, error.Errors);
    }

    public static ProblemHttpResult Create(int status, string code, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value));
        problem.Status = status;
        problem.Type = TypePrefix + code;
        problem.Title = title;
        problem.Detail = detail;
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult Validation(string field, string message) =>
        From(CertStoreError.Invalid(field, message));

    /// <summary>
    /// The problem object of a failed batch item. Items are serialised as <see cref="ProblemDetails"/>, so a
    /// validation problem's <c>errors</c> map travels as an extension member and still names each bad field.
    /// </summary>
    public static ProblemDetails ToProblemDetails(CertStoreError error)
    {
        var source = From(error).ProblemDetails;
        var problem = new ProblemDetails { Status = source.Status, Type = source.Type, Title = source.Title, Detail = source.Detail };
        if (source is HttpValidationProblemDetails validation)
        {
            problem.Extensions["errors"] = validation.Errors;
        }

        return problem;
    }

    private static string TitleOf(CertStoreErrorKind kind) => kind switch
    {
        CertStoreErrorKind.Validation => "The request is invalid.",
        CertStoreErrorKind.Forbidden => "This is not permitted.",
        CertStoreErrorKind.NotFound => "Not found.",
        _ => "The request conflicts with the current state.",
    };
}
