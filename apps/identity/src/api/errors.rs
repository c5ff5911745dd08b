use souk_edge::ApiError;

use crate::domain::{AddressError, IdentityError, InvalidValue, LoginError, RegisterError};

pub(crate) fn invalid(
    code: &'static str,
    argument: &'static str,
) -> impl Fn(InvalidValue) -> ApiError {
    move |err| ApiError::new(code, format!("{argument}: {}", err.0)).with("argument", argument)
}

impl From<RegisterError> for ApiError {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::EmailTaken => ApiError::new("EMAIL_TAKEN", err.to_string()),
            RegisterError::Internal(inner) => ApiError::from(inner),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::InvalidCredentials => ApiError::new("INVALID_CREDENTIALS", err.to_string()),
            LoginError::Internal(inner) => ApiError::from(inner),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        let code = match &err {
            IdentityError::InvalidRefreshToken => "UNAUTHENTICATED",
            IdentityError::WrongPassword => "INVALID_CREDENTIALS",
            IdentityError::WeakPassword(_) => "WEAK_PASSWORD",
            IdentityError::NotFound => "NOT_FOUND",
            IdentityError::Internal(_) => {
                if let IdentityError::Internal(inner) = err {
                    return ApiError::from(inner);
                }
                "INTERNAL"
            }
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<AddressError> for ApiError {
    fn from(err: AddressError) -> Self {
        match err {
            AddressError::NotFound => ApiError::new("NOT_FOUND", err.to_string()),
            AddressError::TooMany(_) => ApiError::new("LIMIT_REACHED", err.to_string()),
            AddressError::Internal(inner) => ApiError::from(inner),
        }
    }
}
