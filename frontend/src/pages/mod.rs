//! One file per view: `pages/<resource>/<view>.rs`.

pub mod audit {
    pub mod list;
}
pub mod clients {
    pub mod detail;
    pub mod edit;
    pub mod form;
    pub mod list;
    pub mod new;
}
pub mod grants {
    pub mod propagation;
    pub mod revoke;
}
pub mod keys {
    pub mod list;
}
pub mod overview {
    pub mod show;
}
pub mod users {
    pub mod detail;
    pub mod list;
}
