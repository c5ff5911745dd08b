use souk_catalog::domain::CatalogError;
use souk_catalog::Catalog;

use crate::support::{draft, scope, Fixture};

#[tokio::test]
async fn the_category_tree_refuses_cycles_sibling_clashes_and_deleting_what_is_used() {
    let fx = Fixture::new().await;
    let clothing = fx
        .catalog
        .create_category("Clothing", None)
        .await
        .expect("root");
    let shirts = fx
        .catalog
        .create_category("Shirts", Some(clothing.id))
        .await
        .expect("child");
    let polos = fx
        .catalog
        .create_category("Polos", Some(shirts.id))
        .await
        .expect("grandchild");

    let cycle = fx.catalog.move_category(clothing.id, Some(polos.id)).await;
    assert!(
        matches!(cycle, Err(CatalogError::InvalidState(_))),
        "{cycle:?}"
    );
    let onto_itself = fx.catalog.move_category(shirts.id, Some(shirts.id)).await;
    assert!(
        matches!(onto_itself, Err(CatalogError::InvalidState(_))),
        "{onto_itself:?}"
    );
    let clash = fx
        .catalog
        .create_category("Shirts", Some(clothing.id))
        .await;
    assert!(
        matches!(clash, Err(CatalogError::InvalidState(_))),
        "{clash:?}"
    );
    let blank = fx.catalog.create_category("   ", None).await;
    assert!(matches!(blank, Err(CatalogError::Invalid(_))), "{blank:?}");

    let with_children = fx.catalog.delete_category(shirts.id).await;
    assert!(
        matches!(with_children, Err(CatalogError::InvalidState(_))),
        "{with_children:?}"
    );
    let tenant = fx.vendor("polo-maker").await;
    let mut polo = draft("Polo", &[("POLO-1", 1)]);
    polo.category = Some(polos.id);
    fx.catalog
        .create_product(&scope(tenant), polo)
        .await
        .expect("create");
    let with_products = fx.catalog.delete_category(polos.id).await;
    assert!(
        matches!(with_products, Err(CatalogError::InvalidState(_))),
        "{with_products:?}"
    );

    let tree = fx.catalog.categories().await.expect("categories");
    assert_eq!(tree.len(), 3);
    let moved = tree
        .iter()
        .find(|(c, _)| c.id == clothing.id)
        .expect("clothing");
    assert_eq!(moved.0.parent, None, "a refused move changed nothing");
}
