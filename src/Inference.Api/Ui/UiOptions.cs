using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Inference.Api.Ui;

/// <summary>
/// The demo page at <c>/</c> (configuration section <c>Ui</c>). On by default so a first run shows something; a
/// production deployment behind a public load balancer turns it off (<c>Ui__Enabled=false</c>), since it invites
/// anyone to spend GPU time from a browser.
/// </summary>
public sealed class UiOptions
{
    public const string Section = "Ui";

    public bool Enabled { get; set; } = true;

    /// <summary>The page's heading and title, so a browser tab says which deployment it is ("detector, staging").</summary>
    [Required(ErrorMessage = "Ui:Title must not be empty.")]
    [StringLength(80, MinimumLength = 1, ErrorMessage = "Ui:Title must be 1 to 80 characters long.")]
    public string Title { get; set; } = "Object detection";
}

[OptionsValidator]
public sealed partial class UiOptionsValidator : IValidateOptions<UiOptions>;
