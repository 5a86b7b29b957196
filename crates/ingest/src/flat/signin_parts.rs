//! The nested objects of a Graph / diagnostic sign-in that the builders read member by
//! member (`status`, `deviceDetail`, `location`, `managedServiceIdentity`,
//! `authenticationDetails`): parsed as [`Flat`](super::Flat)s of these shapes instead of
//! `Value` trees, and read through [`FieldSrc::sub_object`](crate::fields::FieldSrc) /
//! `sub_objects` by the same builders.

use super::{Nested, Shape};

/// `status`.
pub static STATUS: Shape = Shape::new(
    &["errorCode", "failureReason", "additionalDetails"],
    &[],
    &[],
    &[],
);

/// `deviceDetail`.
pub static DEVICE: Shape = Shape::new(
    &[
        "deviceId",
        "displayName",
        "operatingSystem",
        "browser",
        "isCompliant",
        "isManaged",
        "trustType",
    ],
    &[],
    &[],
    &[],
);

/// `location.geoCoordinates`.
static GEO: Shape = Shape::new(&["latitude", "longitude"], &[], &["altitude"], &[]);

/// `location`.
pub static LOCATION: Shape = Shape::new(
    &["city", "state", "countryOrRegion", "geoCoordinates"],
    &[("geoCoordinates", Nested::Flat(&GEO))],
    &[],
    &[&["country"]],
);

/// `managedServiceIdentity`.
pub static MSI: Shape = Shape::new(
    &[
        "msiType",
        "associatedResourceId",
        "federatedTokenId",
        "federatedTokenIssuer",
    ],
    &[],
    &[],
    &[],
);

/// One `authenticationDetails` element (the alternates are other exports' spellings).
pub static AUTH_DETAIL: Shape = Shape::new(
    &[
        "authenticationStepDateTime",
        "authenticationMethod",
        "authenticationMethodDetail",
        "succeeded",
        "authenticationStepResultDetail",
        "authenticationStepRequirement",
    ],
    &[],
    &[],
    &[&[
        "date(utc)",
        "date",
        "datetime",
        "authenticationmethodused",
        "method",
        "methoddetail",
        "resultdetail",
        "result",
        "requirement",
    ]],
);

/// The members of a sign-in read as nested shapes.
pub const NESTED: &[(&str, Nested)] = &[
    ("status", Nested::Flat(&STATUS)),
    ("deviceDetail", Nested::Flat(&DEVICE)),
    ("location", Nested::Flat(&LOCATION)),
    ("managedServiceIdentity", Nested::Flat(&MSI)),
    ("authenticationDetails", Nested::Flats(&AUTH_DETAIL)),
];
