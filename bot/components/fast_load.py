"""A DIET classifier that loads in seconds instead of a minute.

Rasa 3.6 builds a loaded model's weights by running one training step in graph mode, which
makes TensorFlow trace the whole training function: about 50 s for DIET on a 2-core machine
(and 25 s for TED, which config.yml no longer uses), every time the server starts. The
weights' shapes are the same when that one step runs eagerly, so this subclass does it
eagerly and then traces only the inference function. Training and predictions are unchanged.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.utils.tensorflow.constants import LEARNING_RATE
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


def _load_with_eager_build(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: RasaModelData | None = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    if finetune_mode:
        # Fine-tuning trains further, so keep Rasa's own graph-mode setup.
        return super(cls, cls).load(  # type: ignore[misc]
            model_file_name, model_data_example, predict_data_example, True, *args, **kwargs
        )
    model = cls(*args, **kwargs)
    learning_rate = kwargs.get("config", {}).get(LEARNING_RATE, 0.001)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=True)
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    model.load_weights(model_file_name)
    model.run_eagerly = False
    if predict_data_example:
        model.run_inference(predict_data_example)  # trace inference once, before traffic
    return model


class FastLoadDIET(DIET):
    load = classmethod(_load_with_eager_build)


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class FastLoadDIETClassifier(DIETClassifier):
    @staticmethod
    def model_class() -> type[RasaModel]:
        return FastLoadDIET
